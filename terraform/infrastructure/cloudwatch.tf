locals {
  # The DynamoDB operations the functions may call, from the actions of the function manifest (the IAM actions
  # each role gets): each action's own operation, and TransactWriteItems, which IAM authorizes as the writes it
  # carries. A new call needs its action in the manifest, so it is alarmed (and shown on the dashboard) as well.
  manifest_actions    = distinct(flatten([for fn in values(jsondecode(file("${path.module}/../functions.json"))) : concat(fn.table_actions, fn.index_actions)]))
  transaction_actions = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"]
  dynamodb_operations = sort(distinct(concat(
    [for action in local.manifest_actions : trimprefix(action, "dynamodb:")],
    length(setintersection(local.manifest_actions, local.transaction_actions)) > 0 ? ["TransactWriteItems"] : [],
  )))

  # Throttling of an index is reported only with both TableName and GlobalSecondaryIndexName: the TableName
  # dimension alone counts the table's own events, not its indexes'.
  index_names = [for gsi in local.table_schema.global_secondary_indexes : gsi.name]
  throttle_sources = merge(
    { table = {} },
    { for index in local.index_names : lower(index) => { GlobalSecondaryIndexName = index } },
  )

  # The table's alarms, by name suffix: each adds up some of the table's metrics (metric math, `sum` the
  # expression's id) and fires on any event in five minutes. metrics: query id => metric name and the
  # dimensions it takes besides TableName.
  table_alarms = {
    throttles = {
      description = "Reads or writes on ${local.table_name} or its indexes were throttled."
      sum         = { id = "throttles", expression = "SUM(METRICS())", label = "Throttled read and write events, table and indexes" }
      metrics = merge([
        for source, dimensions in local.throttle_sources : {
          for kind, metric in { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" } :
          "${kind}_${source}" => { name = metric, dimensions = dimensions }
        }
      ]...)
    }
    system-errors = {
      description = "DynamoDB answered requests on ${local.table_name} with server-side errors."
      sum         = { id = "errors", expression = "SUM(METRICS())", label = "System errors, all operations" }
      metrics = {
        for operation in local.dynamodb_operations :
        lower(operation) => { name = "SystemErrors", dimensions = { Operation = operation } }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "table_alarms" {
  for_each = local.table_alarms

  alarm_name          = "${local.table_name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = each.value.sum.id
    expression  = each.value.sum.expression
    label       = each.value.sum.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value.name
        period      = 300
        stat        = "Sum"
        dimensions  = merge({ TableName = aws_dynamodb_table.products.name }, metric_query.value.dimensions)
      }
    }
  }
}
