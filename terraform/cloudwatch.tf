resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  # checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs; no secrets are logged, so no CMK.
  # checkov:skip=CKV_AWS_338:Retention is 90 days by the spec, not a year.
  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "api_access" {
  # checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs; access logs hold no secrets, so no CMK.
  # checkov:skip=CKV_AWS_338:Retention is 90 days by the spec, not a year.
  name              = local.access_log_name
  retention_in_days = var.log_retention_days
}

locals {
  # The Lambda metrics every function is alarmed on (any occurrence in five minutes), each with its alarm's
  # description (%s: the function name). function_alarms pairs them with the functions: "<function>/<metric>".
  function_alarm_descriptions = {
    Errors    = "%s ended invocations with an unhandled error."
    Throttles = "Invocations of %s were throttled (concurrency exhausted)."
  }
  function_alarms = {
    for pair in setproduct(keys(local.functions), keys(local.function_alarm_descriptions)) :
    "${pair[0]}/${pair[1]}" => { function = pair[0], metric = pair[1] }
  }
}

resource "aws_cloudwatch_metric_alarm" "function_alarms" {
  for_each = local.function_alarms

  alarm_name          = "${local.function_names[each.value.function]}-${lower(each.value.metric)}"
  alarm_description   = format(local.function_alarm_descriptions[each.value.metric], local.function_names[each.value.function])
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.api[each.value.function].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

locals {
  api_metric_dimensions = {
    ApiName = local.infrastructure.api_gateway_name
    Stage   = aws_api_gateway_stage.product_api.stage_name
  }

  # The average of API Gateway's 4XXError/5XXError metrics is the share of requests that ended so.
  api_error_rate_alarms = {
    "4xx" = { metric = "4XXError", threshold = 0.05, description = "More than 5% of requests ended in a client error (4xx)." }
    "5xx" = { metric = "5XXError", threshold = 0.01, description = "More than 1% of requests ended in a server error (5xx)." }
  }
}

resource "aws_cloudwatch_metric_alarm" "api_error_rate" {
  for_each = local.api_error_rate_alarms

  alarm_name          = "${local.infrastructure.api_gateway_name}-${each.key}-rate"
  alarm_description   = each.value.description
  namespace           = "AWS/ApiGateway"
  metric_name         = each.value.metric
  dimensions          = local.api_metric_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p95" {
  alarm_name          = "${local.infrastructure.api_gateway_name}-latency-p95"
  alarm_description   = "API latency p95 above ${var.latency_p95_threshold_ms} ms."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_metric_dimensions
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p95_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The handlers' own errors, from the metrics of their request line (BBWS/ProductApi, per operation). A handler
# answers every exception itself, so Lambda's Errors never counts a 500 or a 503 it sends.
resource "aws_cloudwatch_metric_alarm" "unexpected_errors" {
  for_each = local.functions

  alarm_name          = "${local.function_names[each.key]}-unexpected-errors"
  alarm_description   = "${local.function_names[each.key]} answered 500: an exception no rule expects (its stack trace is in the function's log)."
  namespace           = local.product_metrics.namespace
  metric_name         = "UnexpectedErrors"
  dimensions          = { Operation = each.key, Environment = var.environment }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "unavailable" {
  for_each = local.functions

  alarm_name          = "${local.function_names[each.key]}-unavailable"
  alarm_description   = "More than ${var.unavailable_rate_threshold * 100}% of ${local.function_names[each.key]}'s requests answered 503 (DynamoDB throttled or failing after retries, or a write whose outcome stayed unknown), in two five-minute periods in a row."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.unavailable_rate_threshold
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  # A write whose outcome stayed unknown (OutcomeUnknown, create/update/delete) is a 503 too.
  metric_query {
    id          = "rate"
    expression  = contains(local.metric_operations.OutcomeUnknown, each.key) ? "IF(requests > 0, (unavailable + FILL(unknown, 0)) / requests, 0)" : "IF(requests > 0, unavailable / requests, 0)"
    label       = "Share of requests answered 503"
    return_data = true
  }

  # Every request writes one Latency value, so its sample count is the number of requests.
  dynamic "metric_query" {
    for_each = merge(
      { unavailable = { metric = "Unavailable", stat = "Sum" }, requests = { metric = "Latency", stat = "SampleCount" } },
      contains(local.metric_operations.OutcomeUnknown, each.key) ? { unknown = { metric = "OutcomeUnknown", stat = "Sum" } } : {},
    )
    content {
      id = metric_query.key
      metric {
        namespace   = local.product_metrics.namespace
        metric_name = metric_query.value.metric
        dimensions  = { Operation = each.key, Environment = var.environment }
        period      = 300
        stat        = metric_query.value.stat
      }
    }
  }
}
