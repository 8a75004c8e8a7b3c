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
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
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
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
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
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
