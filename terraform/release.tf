# Releases: every function publishes a version per change behind the alias `live`, which API Gateway invokes.
# Terraform creates the alias at the first version and then leaves it to CodeDeploy, which shifts traffic to a
# new version (var.deployment_config) and rolls back on a failed deployment or on an alarm watching the new
# version. scripts/ops/release.py starts the deployments after the apply; docs/DEPLOYMENT.md, "Releases".

locals {
  alias_name = "live"

  # Alarms on the version being released, "<function>/<kind>": its unhandled errors and its p95 duration seen
  # through the alias (Lambda's ExecutedVersion dimension), and the handlers' own 500s (UnexpectedErrors of its
  # operation and FunctionVersion, the EMF dimension set that carries AWS_LAMBDA_FUNCTION_VERSION), so a 500
  # from the old version during the shift never rolls back the new one.
  release_alarm_kinds = {
    errors = {
      description = "%s version %s ended invocations with an unhandled error during its release."
    }
    unexpected-errors = {
      description = "%s version %s answered 500 (UnexpectedErrors) during its release."
    }
    latency-p95 = {
      description = "%s version %s: p95 duration above ${var.latency_p95_threshold_ms} ms during its release."
    }
  }
  release_alarms = {
    for pair in setproduct(keys(local.functions), keys(local.release_alarm_kinds)) :
    "${pair[0]}/${pair[1]}" => { function = pair[0], kind = pair[1] }
  }
  release_alarm_names = { for key, alarm in local.release_alarms : key => "${local.function_names[alarm.function]}-release-${alarm.kind}" }
}

resource "aws_lambda_alias" "live" {
  for_each = local.functions

  name             = local.alias_name
  description      = "The version API Gateway invokes; moved by CodeDeploy (scripts/ops/release.py)."
  function_name    = aws_lambda_function.api[each.key].function_name
  function_version = aws_lambda_function.api[each.key].version

  # After the first version, CodeDeploy moves the alias (and its weights during a shift): a plan never fights
  # a rollout or undoes a rollback.
  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

resource "aws_codedeploy_app" "product_api" {
  name             = "bbws-product-api-${var.environment}"
  compute_platform = "Lambda"
}

data "aws_iam_policy_document" "codedeploy_assume_role" {
  statement {
    sid     = "CodeDeployAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

# What CodeDeploy does for a Lambda deployment: read and move this stack's aliases, and read the alarms of the
# release (AWSCodeDeployRoleForLambdaLimited, narrowed to this environment's functions and alarms). Lambda
# authorizes GetAlias and UpdateAlias against the function's unqualified ARN, GetProvisionedConcurrencyConfig
# against the alias's: both are named.
data "aws_iam_policy_document" "codedeploy" {
  statement {
    sid       = "MoveAliases"
    actions   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
    resources = concat([for fn in aws_lambda_function.api : fn.arn], [for alias in aws_lambda_alias.live : alias.arn])
  }

  statement {
    sid     = "ReadReleaseAlarms"
    actions = ["cloudwatch:DescribeAlarms"]
    # From the names: an alarm's ARN is unknown while a release updates it, and the policy would change each time.
    resources = [for name in values(local.release_alarm_names) : "arn:${data.aws_partition.current.partition}:cloudwatch:${var.aws_region}:${data.aws_caller_identity.current.account_id}:alarm:${name}"]
  }
}

resource "aws_iam_role" "codedeploy" {
  name                 = "bbws-codedeploy-${var.environment}-role"
  description          = "Lets CodeDeploy shift the BBWS product API's live aliases in ${var.environment}."
  assume_role_policy   = data.aws_iam_policy_document.codedeploy_assume_role.json
  permissions_boundary = local.infrastructure.permissions_boundary_arn
}

resource "aws_iam_role_policy" "codedeploy" {
  name   = "bbws-codedeploy-${var.environment}-access"
  role   = aws_iam_role.codedeploy.id
  policy = data.aws_iam_policy_document.codedeploy.json
}

resource "aws_codedeploy_deployment_group" "function" {
  for_each = local.functions

  app_name               = aws_codedeploy_app.product_api.name
  deployment_group_name  = local.function_names[each.key]
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms  = [for key, alarm in local.release_alarms : local.release_alarm_names[key] if alarm.function == each.key]
  }

  depends_on = [aws_cloudwatch_metric_alarm.release]
}

resource "aws_cloudwatch_metric_alarm" "release" {
  for_each = local.release_alarms

  alarm_name          = local.release_alarm_names[each.key]
  alarm_description   = format(local.release_alarm_kinds[each.value.kind].description, local.function_names[each.value.function], aws_lambda_function.api[each.value.function].version)
  namespace           = each.value.kind == "unexpected-errors" ? local.product_metrics.namespace : "AWS/Lambda"
  metric_name         = { errors = "Errors", unexpected-errors = "UnexpectedErrors", latency-p95 = "Duration" }[each.value.kind]
  statistic           = each.value.kind == "latency-p95" ? null : "Sum"
  extended_statistic  = each.value.kind == "latency-p95" ? "p95" : null
  period              = 60
  evaluation_periods  = each.value.kind == "latency-p95" ? 2 : 1
  datapoints_to_alarm = each.value.kind == "latency-p95" ? 2 : 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.kind == "latency-p95" ? var.latency_p95_threshold_ms : 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  # A canary's share of a quiet minute is a handful of requests; CloudWatch trusts a p95 from about 200 samples
  # a period, and "ignore" keeps the alarm's state when there are fewer (errors still roll back on any count).
  evaluate_low_sample_count_percentiles = each.value.kind == "latency-p95" ? "ignore" : null

  dimensions = each.value.kind == "unexpected-errors" ? {
    Operation       = each.value.function
    Environment     = var.environment
    FunctionVersion = aws_lambda_function.api[each.value.function].version
    } : {
    FunctionName    = aws_lambda_function.api[each.value.function].function_name
    Resource        = "${aws_lambda_function.api[each.value.function].function_name}:${local.alias_name}"
    ExecutedVersion = aws_lambda_function.api[each.value.function].version
  }
}
