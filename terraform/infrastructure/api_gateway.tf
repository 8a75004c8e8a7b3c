resource "aws_api_gateway_rest_api" "product_api" {
  name        = local.api_name
  description = "BBWS Product API (${var.environment})"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# The API's shape lives here; the Lambda stack attaches methods, integrations, the deployment and the stage.
resource "aws_api_gateway_resource" "version" {
  rest_api_id = aws_api_gateway_rest_api.product_api.id
  parent_id   = aws_api_gateway_rest_api.product_api.root_resource_id
  path_part   = "v1.0"
}

resource "aws_api_gateway_resource" "products" {
  rest_api_id = aws_api_gateway_rest_api.product_api.id
  parent_id   = aws_api_gateway_resource.version.id
  path_part   = "products"
}

resource "aws_api_gateway_resource" "product" {
  rest_api_id = aws_api_gateway_rest_api.product_api.id
  parent_id   = aws_api_gateway_resource.products.id
  path_part   = "{productId}"
}

# Every path no other resource matches (API Gateway picks the most specific resource first): the Lambda stack
# answers it 404, so MISSING_AUTHENTICATION_TOKEN is left to mean an unsigned request to an AWS_IAM method.
resource "aws_api_gateway_resource" "catch_all" {
  rest_api_id = aws_api_gateway_rest_api.product_api.id
  parent_id   = aws_api_gateway_rest_api.product_api.root_resource_id
  path_part   = "{proxy+}"
}

locals {
  # Errors API Gateway answers itself, in the API's error envelope. Statuses left null keep API Gateway's own.
  # Every path has a method (catch_all and the Lambda stack's ANY methods), so a missing authentication
  # token can only be an unsigned request to an AWS_IAM method: 403, not the unknown route it once also meant.
  gateway_responses = {
    DEFAULT_4XX                  = { status = null, error = "Bad Request", message = "$context.error.messageString" }
    DEFAULT_5XX                  = { status = null, error = "Internal Server Error", message = "\"The service could not complete the request; try again later.\"" }
    MISSING_AUTHENTICATION_TOKEN = { status = "403", error = "Forbidden", message = "\"Writes need an AWS Signature Version 4 Authorization header (service execute-api).\"" }
    ACCESS_DENIED                = { status = "403", error = "Forbidden", message = "\"The caller is not allowed to perform this operation.\"" }
    UNAUTHORIZED                 = { status = "401", error = "Unauthorized", message = "\"Sign in and send valid credentials with the request.\"" }
    INVALID_SIGNATURE            = { status = "403", error = "Forbidden", message = "\"The request signature is invalid; sign the request again.\"" }
    EXPIRED_TOKEN                = { status = "403", error = "Forbidden", message = "\"The credentials have expired; refresh them and retry.\"" }
    THROTTLED                    = { status = "429", error = "Too Many Requests", message = "\"Request rate limit exceeded; retry after a short wait.\"" }
    QUOTA_EXCEEDED               = { status = "429", error = "Too Many Requests", message = "\"Request quota exceeded; retry later.\"" }
    REQUEST_TOO_LARGE            = { status = "413", error = "Payload Too Large", message = "\"The request body is larger than the API accepts.\"" }
    INTEGRATION_FAILURE          = { status = "502", error = "Bad Gateway", message = "\"The service could not complete the request; try again later.\"" }
    INTEGRATION_TIMEOUT          = { status = "504", error = "Gateway Timeout", message = "\"The service took too long to answer; try again later.\"" }
  }

  gateway_response_headers = {
    "gatewayresponse.header.Access-Control-Allow-Origin"  = "'${local.gateway_response_origin}'"
    "gatewayresponse.header.Access-Control-Allow-Headers" = "'Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Api-Key,Idempotency-Key,If-Match,If-None-Match'"
    "gatewayresponse.header.Access-Control-Allow-Methods" = "'GET,POST,PUT,DELETE,OPTIONS'"
    "gatewayresponse.header.Vary"                         = "'Origin'"
    "gatewayresponse.header.X-Request-Id"                 = "context.requestId"
  }
}

resource "aws_api_gateway_gateway_response" "error_envelope" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.product_api.id
  response_type = each.key
  status_code   = each.value.status

  response_parameters = merge(
    local.gateway_response_headers,
    each.key == "THROTTLED" ? { "gatewayresponse.header.Retry-After" = "'1'" } : {},
  )

  response_templates = {
    "application/json" = "{\"error\": \"${each.value.error}\", \"message\": ${each.value.message}, \"requestId\": \"$context.requestId\"}"
  }
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn
}
