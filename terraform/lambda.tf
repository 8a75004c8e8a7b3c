# Third-party packages the write functions import (pydantic and its compiled core), built for arm64 by
# scripts/ops/package_lambdas.sh. The read functions do without it, which keeps their cold start short.
resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = local.layer_name
  description              = "pydantic and its dependencies for the BBWS product write functions"
  filename                 = "${local.package_dir}/dependencies-layer.zip"
  source_code_hash         = filebase64sha256("${local.package_dir}/dependencies-layer.zip")
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]

  # A new layer version never deletes the old one: every published function version still runs (rollback).
  skip_destroy = true
}

resource "aws_lambda_function" "api" {
  for_each = local.functions

  # checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a failure goes back to the caller, there is no event to park in a DLQ.
  # checkov:skip=CKV_AWS_117:Reaches only DynamoDB and X-Ray through public AWS endpoints; there is no VPC resource to reach.
  # checkov:skip=CKV_AWS_173:No secret is in the environment: a table name, a log level, CORS origins, the environment and (list) the ARN of the secret the function reads; Lambda's AWS-managed key encrypts them at rest.
  # checkov:skip=CKV_AWS_272:Packages are built and deployed by this repository's pipeline; code signing needs a signer profile not in scope.
  function_name                  = local.function_names[each.key]
  description                    = "BBWS product API: ${each.value.method} ${local.infrastructure.api_gateway_resources[each.value.resource].path}"
  role                           = aws_iam_role.function[each.key].arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "handlers.${each.key}.handler"
  filename                       = "${local.package_dir}/${each.key}.zip"
  source_code_hash               = filebase64sha256("${local.package_dir}/${each.key}.zip")
  memory_size                    = 256
  timeout                        = 15
  reserved_concurrent_executions = var.reserved_concurrency
  layers                         = each.value.uses_dependencies ? [aws_lambda_layer_version.dependencies.arn] : []
  # Each change publishes a version; the alias `live` (release.tf) decides which one API Gateway invokes.
  publish = true

  # With SnapStart, Lambda snapshots each published version after its init and before-snapshot hooks, and
  # restores new execution environments from it (var.snap_start; src/lifecycle/snapstart.py).
  dynamic "snap_start" {
    for_each = var.snap_start ? ["PublishedVersions"] : []
    content {
      apply_on = snap_start.value
    }
  }

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = merge(
      {
        TABLE_NAME      = local.infrastructure.dynamodb_table_name
        LOG_LEVEL       = var.log_level
        ALLOWED_ORIGINS = join(",", local.infrastructure.cors_allowed_origins)
        # The Environment dimension of the functions' own metrics (BBWS/ProductApi).
        ENVIRONMENT = var.environment
      },
      # Where each secret the function reads is (<SECRET>_SECRET_ID: its ARN), never its value.
      { for secret in each.value.secrets : "${upper(replace(secret, "-", "_"))}_SECRET_ID" => aws_secretsmanager_secret.function[secret].arn },
    )
  }

  # The log group must exist (with its retention) before the first invocation would create it without one.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

resource "aws_lambda_permission" "api_gateway" {
  for_each = local.functions

  statement_id  = "AllowProductApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api[each.key].function_name
  qualifier     = aws_lambda_alias.live[each.key].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.infrastructure.api_gateway_execution_arn}/${local.stage_name}/${each.value.method}${local.infrastructure.api_gateway_resources[each.value.resource].path}"
}

# The secrets the functions read (functions.json "secrets"): Terraform makes each one empty and never sees a
# value. AWS generates the values (scripts/ops/page_token_key.py: GetRandomPassword, PutSecretValue), so no value
# is in a state, a plan, an artifact or an environment variable; docs/DEPLOYMENT.md, "Secrets".
resource "aws_secretsmanager_secret" "function" {
  for_each = toset(flatten([for fn in local.functions : fn.secrets]))

  # checkov:skip=CKV_AWS_149:Encrypted with Secrets Manager's AWS-managed key; only the reading function's role (and its boundary) may read the value, a CMK would add a key policy for no narrower reader.
  # checkov:skip=CKV2_AWS_57:Rotated by scripts/ops/page_token_key.py rotate (AWS generates the value) rather than a rotation Lambda; the previous key stays valid for the tokens' 24 hours.
  name                    = "bbws-${each.key}-${var.environment}"
  description             = "${each.key} of the BBWS product API (${var.environment}); values generated by AWS, read by the functions that list it."
  recovery_window_in_days = 7
}
