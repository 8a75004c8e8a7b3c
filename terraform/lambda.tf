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
      { for secret in each.value.secrets : "${upper(replace(secret, "-", "_"))}_SECRET_ID" => local.infrastructure.secret_arns[secret] },
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
  # API Gateway invokes with the path of the actual request in aws:SourceArn (.../GET/v1.0/products/<id>): a
  # path parameter is "*" here, or the condition never matches and the route answers 500.
  source_arn = "${local.infrastructure.api_gateway_execution_arn}/${local.stage_name}/${each.value.method}${replace(local.infrastructure.api_gateway_resources[each.value.resource].path, "/\\{[^}]+\\}/", "*")}"
}

# The secrets the functions read live in the infrastructure stack (secrets.tf there), so their values exist
# before any function does. A state from before that move forgets its secret here instead of deleting it; the
# infrastructure stack then takes it over (docs/DEPLOYMENT.md, "Secrets").
removed {
  from = aws_secretsmanager_secret.function

  lifecycle {
    destroy = false
  }
}
