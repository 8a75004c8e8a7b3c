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
  # Errors API Gateway answers itself, in the API's error envelope (templates/, which the tests render too).
  # Statuses left null keep API Gateway's own; each message is a JSON string or API Gateway's quoted
  # $context.error.messageString. Every path has a method (catch_all and the Lambda stack's ANY methods), so a
  # missing authentication token can only be an unsigned request to an AWS_IAM method: 403, not the unknown
  # route it once also meant.
  gateway_responses = jsondecode(file("${path.module}/templates/gateway_responses.json"))

  # The CORS lists come from the one file the functions, the Lambda stack and the tests read.
  cors = jsondecode(file("${path.module}/../../src/utils/cors.json"))
  gateway_response_headers = {
    for name, value in jsondecode(templatefile("${path.module}/templates/gateway_response_headers.json", {
      allowed_origin = local.gateway_response_origin
      allow_headers  = join(",", local.cors.allow_headers)
      allow_methods  = join(",", local.cors.allow_methods)
    })) : "gatewayresponse.header.${name}" => value
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
    "application/json" = chomp(templatefile("${path.module}/templates/gateway_response.json", {
      error   = each.value.error
      message = each.value.message
    }))
  }
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn
}
