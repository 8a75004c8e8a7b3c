# What on-call looks at: one dashboard and the saved Logs Insights queries docs/OPERATIONS.md refers to.
# Every widget and query names only metrics and log groups these two stacks create (tests/lambda.tftest.hcl).

locals {
  # The business metrics the functions write into their request log line (CloudWatch embedded metric
  # format): the same manifest tests/unit checks the code's log line against.
  product_metrics = jsondecode(file("${path.module}/product_metrics.json"))

  dashboard_name    = "bbws-product-api-${var.environment}"
  lambda_log_groups = [for group in aws_cloudwatch_log_group.function : group.name]
  all_log_groups    = concat([aws_cloudwatch_log_group.api_access.name], local.lambda_log_groups)

  # Logs Insights selects log groups with SOURCE in a dashboard's log widget.
  lambda_sources = join(" | ", [for name in local.lambda_log_groups : "SOURCE '${name}'"])

  api_dimensions = ["ApiName", local.infrastructure.api_gateway_name, "Stage", aws_api_gateway_stage.product_api.stage_name]
  table_name     = local.infrastructure.dynamodb_table_name

  # Each operation's p95 target (functions.json, from the plan's parent design) beside the API-wide target the
  # latency alarm watches.
  target_annotations = {
    for name, fn in local.functions : name => [
      { label = "${name} target ${fn.p95_target_ms} ms", value = fn.p95_target_ms, color = "#2ca02c" },
      { label = "all operations ${var.latency_p95_threshold_ms} ms", value = var.latency_p95_threshold_ms, color = "#d62728" },
    ]
  }

  latency_widgets = [
    for name, fn in local.functions : {
      type = "metric"
      properties = {
        title       = "API latency ${fn.method} ${local.infrastructure.api_gateway_resources[fn.resource].path} (${name})"
        view        = "timeSeries"
        region      = var.aws_region
        period      = 60
        annotations = { horizontal = local.target_annotations[name] }
        yAxis       = { left = { min = 0, label = "ms", showUnits = false } }
        metrics = [
          for stat in ["p50", "p95", "p99"] : concat(
            ["AWS/ApiGateway", "Latency"], local.api_dimensions,
            ["Method", fn.method, "Resource", local.infrastructure.api_gateway_resources[fn.resource].path],
            [{ stat = stat, label = stat }],
          )
        ]
      }
    }
  ]

  api_widgets = [
    {
      type = "metric"
      properties = {
        title       = "API latency, all operations"
        view        = "timeSeries"
        region      = var.aws_region
        period      = 60
        annotations = { horizontal = [{ label = "p95 target ${var.latency_p95_threshold_ms} ms", value = var.latency_p95_threshold_ms, color = "#d62728" }] }
        yAxis       = { left = { min = 0, label = "ms", showUnits = false } }
        metrics = [
          for stat in ["p50", "p95", "p99"] :
          concat(["AWS/ApiGateway", "Latency"], local.api_dimensions, [{ stat = stat, label = stat }])
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "API requests, 4xx and 5xx"
        view   = "timeSeries"
        region = var.aws_region
        period = 60
        stat   = "Sum"
        metrics = [
          for metric in ["Count", "4XXError", "5XXError"] :
          concat(["AWS/ApiGateway", metric], local.api_dimensions, [{ label = metric }])
        ]
      }
    },
  ]

  # Per function: name, metric, statistic.
  lambda_panels = {
    "Lambda duration p95 (ms)"     = { metric = "Duration", stat = "p95" }
    "Lambda errors"                = { metric = "Errors", stat = "Sum" }
    "Lambda throttles"             = { metric = "Throttles", stat = "Sum" }
    "Lambda concurrent executions" = { metric = "ConcurrentExecutions", stat = "Maximum" }
  }

  lambda_widgets = concat(
    [
      for title, panel in local.lambda_panels : {
        type = "metric"
        properties = {
          title  = title
          view   = "timeSeries"
          region = var.aws_region
          period = 60
          stat   = panel.stat
          metrics = [
            for name, fn in aws_lambda_function.api :
            ["AWS/Lambda", panel.metric, "FunctionName", fn.function_name, { label = name }]
          ]
        }
      }
    ],
    [
      {
        type = "log"
        # A cold start's REPORT line carries Init Duration (@initDuration); a SnapStart restore's carries Restore
        # Duration instead, which Logs Insights does not parse by itself.
        properties = {
          title  = "Lambda init and restore duration (cold starts and SnapStart restores, from REPORT lines)"
          view   = "table"
          region = var.aws_region
          query  = "${local.lambda_sources} | filter @type = \"REPORT\" | parse @message /Restore Duration: (?<restoreMs>[0-9.]+) ms/ | filter ispresent(@initDuration) or ispresent(restoreMs) | stats sum(ispresent(@initDuration)) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs, sum(ispresent(restoreMs)) as restores, avg(restoreMs) as avgRestoreMs, max(restoreMs) as maxRestoreMs by @log"
        }
      },
    ],
  )

  # The table's panels: title => lines, each summed per minute.
  dynamodb_panels = {
    "DynamoDB consumed capacity (table and indexes)" = concat(
      [
        for metric in ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"] :
        ["AWS/DynamoDB", metric, "TableName", local.table_name, { label = "table ${metric}" }]
      ],
      [
        for index in local.infrastructure.dynamodb_index_names :
        ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", local.table_name, "GlobalSecondaryIndexName", index, { label = "${index} reads" }]
      ],
    )
    # The lines the table's throttles and system-errors alarms add up: an index reports its throttling only
    # with GlobalSecondaryIndexName; every operation the functions may call (the infrastructure stack derives
    # them from functions.json).
    "DynamoDB throttles and system errors" = concat(
      [
        for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] :
        ["AWS/DynamoDB", metric, "TableName", local.table_name, { label = metric }]
      ],
      [
        for pair in setproduct(local.infrastructure.dynamodb_index_names, ["ReadThrottleEvents", "WriteThrottleEvents"]) :
        ["AWS/DynamoDB", pair[1], "TableName", local.table_name, "GlobalSecondaryIndexName", pair[0], { label = "${pair[0]} ${pair[1]}" }]
      ],
      [
        for operation in local.infrastructure.dynamodb_operations :
        ["AWS/DynamoDB", "SystemErrors", "TableName", local.table_name, "Operation", operation, { label = "SystemErrors ${operation}" }]
      ],
    )
  }
  dynamodb_widgets = [
    for title, lines in local.dynamodb_panels : {
      type       = "metric"
      properties = { title = title, view = "timeSeries", region = var.aws_region, period = 60, stat = "Sum", metrics = lines }
    }
  ]

  # The operations that write each metric: all of them for the common metrics, else those whose entry in the
  # function manifest lists it (the same rule src/metrics/emf.py follows).
  metric_operations = {
    for name, metric in local.product_metrics.metrics : name => [
      for operation, fn in local.functions : operation if try(metric.every_operation, false) || contains(fn.metrics, name)
    ]
  }

  # One panel per "panel" of the manifest, one line per metric and operation that writes it.
  business_panels = distinct([for metric in values(local.product_metrics.metrics) : metric.panel])
  business_widgets = [
    for panel in local.business_panels : {
      type = "metric"
      properties = {
        title  = panel
        view   = "timeSeries"
        region = var.aws_region
        period = 60
        # concat, not flatten: flatten would also take each line apart.
        metrics = concat([
          for name, metric in local.product_metrics.metrics : [
            for operation in local.metric_operations[name] : [
              local.product_metrics.namespace, name,
              "Operation", operation, "Environment", var.environment,
              { stat = metric.stat, label = "${name} ${operation}" },
            ]
          ] if metric.panel == panel
        ]...)
      }
    }
  ]

  # Two widgets a row, six units high, in this order.
  dashboard_widgets = concat(local.api_widgets, local.latency_widgets, local.lambda_widgets, local.dynamodb_widgets, local.business_widgets)
}

resource "aws_cloudwatch_dashboard" "product_api" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in local.dashboard_widgets :
      merge(widget, { x = (index % 2) * 12, y = floor(index / 2) * 6, width = 12, height = 6 })
    ]
  })
}

locals {
  # Saved Logs Insights queries, listed under "<dashboard name>/" in the console. Both the API's access log
  # and each function's request line carry requestId: the X-Request-Id the client received.
  saved_queries = {
    "request-by-x-request-id" = {
      log_groups = local.all_log_groups
      query      = <<-QUERY
        # Replace the id with the X-Request-Id the client received: the access log line and the function's line.
        # lambdaRequestId (function line) and integrationRequestId (access log) select the function's START/END/REPORT lines.
        fields @timestamp, @log, status, errorCode, httpMethod, resourcePath, method, path, responseLatency, integrationLatency, integrationRequestId, errorType, errorMessage, Operation, durationMs, coldStart, DynamoDBCalls, lambdaRequestId, traceId, message, stackTrace
        | filter requestId = "00000000-0000-0000-0000-000000000000"
        | sort @timestamp asc
      QUERY
    }
    "slowest-requests" = {
      log_groups = [aws_cloudwatch_log_group.api_access.name]
      query      = <<-QUERY
        # The slowest requests as clients saw them (access log latencies are strings: + 0 makes them numbers).
        fields @timestamp, requestId, httpMethod, resourcePath, status, responseLatency + 0 as latencyMs, integrationLatency + 0 as functionMs
        | filter ispresent(responseLatency)
        | sort latencyMs desc
        | limit 50
      QUERY
    }
    "5xx-by-operation" = {
      log_groups = [aws_cloudwatch_log_group.api_access.name]
      query      = <<-QUERY
        # Server errors by route: 500/503 from the functions, 502 when a function failed or timed out (its 15 s stay
        # under API Gateway's 29 s), 504 only if API Gateway itself gave up. The access log's status is a string.
        filter status like /^5\d\d$/
        | stats count(*) as responses, latest(requestId) as lastRequestId by httpMethod, resourcePath, status, errorType
        | sort responses desc
      QUERY
    }
    "4xx-by-error-and-operation" = {
      log_groups = local.lambda_log_groups
      query      = <<-QUERY
        # Why clients get 4xx from the functions: errorCode (NameConflict, VersionConflict, ValidationFailed, NotFound, ...)
        # per operation. The 4xx API Gateway answers itself (403 unsigned, 429 throttled) are in the access log only.
        filter message = "request" and status >= 400 and status < 500
        | stats count(*) as responses, latest(requestId) as lastRequestId by Operation, errorCode, status
        | sort responses desc
      QUERY
    }
    "cold-starts-by-function" = {
      log_groups = local.lambda_log_groups
      query      = <<-QUERY
        # Cold starts and SnapStart restores per function, from the REPORT line Lambda writes after each
        # invocation: a cold start's carries Init Duration, a restore's Restore Duration (parsed here).
        filter @type = "REPORT"
        | parse @message /Restore Duration: (?<restoreMs>[0-9.]+) ms/
        | stats sum(ispresent(@initDuration)) as coldStarts, sum(ispresent(restoreMs)) as restores, count(*) as invocations, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs, avg(restoreMs) as avgRestoreMs, max(restoreMs) as maxRestoreMs by @log
        | sort invocations desc
      QUERY
    }
  }
}

resource "aws_cloudwatch_query_definition" "saved" {
  for_each = local.saved_queries

  name            = "${local.dashboard_name}/${each.key}"
  log_group_names = each.value.log_groups
  query_string    = each.value.query
}

locals {
  # Every metric line of the dashboard as {namespace, metric, dimensions}: what the tests check.
  dashboard_lines = flatten([
    for widget in jsondecode(aws_cloudwatch_dashboard.product_api.dashboard_body).widgets : [
      for line in widget.properties.metrics : {
        namespace  = line[0]
        metric     = line[1]
        dimensions = { for i in range(2, length(line) - 1, 2) : line[i] => line[i + 1] }
      }
    ] if widget.type == "metric"
  ])
}
