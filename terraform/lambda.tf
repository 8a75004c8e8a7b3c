# Third-party packages the write functions import (pydantic and its compiled core), built for arm64 by
# scripts/ops/package_lambdas.sh. The read functions do without it, which keeps their cold start short.
resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = local.layer_name
  description              = "pydantic and its dependencies for the BBWS product write functions"
  filename                 = "${local.package_dir}/dependencies-layer.zip"
  source_code_hash         = filebase64sha256("${local.package_dir}/dependencies-layer.zip")
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]
}

resource "aws_lambda_function" "api" {
  for_each = local.functions

  # checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a failure goes back to the caller, there is no event to park in a DLQ.
  # checkov:skip=CKV_AWS_117:Reaches only DynamoDB and X-Ray through public AWS endpoints; there is no VPC resource to reach.
  # checkov:skip=CKV_AWS_173:Besides a table name, a log level and CORS origins, only the list function holds a secret: the page token key, which signs list positions (public data) and is encrypted at rest with Lambda's AWS-managed key; a CMK would add cost and a key policy for no stronger guarantee.
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
      # Only the list function mints and reads page tokens, so only it holds their secret.
      each.key == "list_products" ? { PAGE_TOKEN_SECRET = terraform_data.page_token_secret.output } : {},
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
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.infrastructure.api_gateway_execution_arn}/${local.stage_name}/${each.value.method}${local.infrastructure.api_gateway_resources[each.value.resource].path}"
}

# The key that seals the list's page tokens (nextToken), one per environment and known only to the list
# function. The random provider is not used: two uuid() values (crypto/rand, 244 random bits) are made once and
# kept in state; `terraform apply -replace=terraform_data.page_token_secret` rotates the key, which ends every
# outstanding token (clients restart from the first page).
resource "terraform_data" "page_token_secret" {
  input = sensitive("${uuid()}${uuid()}")

  lifecycle {
    ignore_changes = [input]
  }
}
