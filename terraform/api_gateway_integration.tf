locals {
  api_id = local.infrastructure.api_gateway_id

  # The headers a preflight allows: one file, which the functions (in their package) and the tests read too.
  cors_allow_headers = join(",", jsondecode(file("${path.module}/../src/utils/cors.json")).allow_headers)

  # Mapping-template prologue for API Gateway's own (MOCK) answers: allow the caller's Origin only when it is
  # configured (or everything, where "*" is configured: dev). The templates live in templates/, where the tests
  # render them with a Velocity engine.
  cors_origin_template = templatefile("${path.module}/templates/cors_origin.vm", {
    allowed_origins = jsonencode(local.infrastructure.cors_allowed_origins)
  })

  # Headers on every answer API Gateway gives itself (MOCK). Access-Control-Allow-Origin is set, or not, by
  # cors_origin_template, so the method responses declare it optional.
  mock_response_headers = {
    for name, value in jsondecode(file("${path.module}/templates/mock_headers.json")) : "method.response.header.${name}" => value
  }
  mock_optional_headers = { "method.response.header.Access-Control-Allow-Origin" = false }

  # Every answer API Gateway gives itself (MOCK), by "<resource key> <METHOD>": the CORS preflight (OPTIONS,
  # 204) on each routed resource; ANY, for whatever no route takes, 405 with Allow on the routed resources and
  # 404 on every other resource of the API (/, /v1.0 and the /{proxy+} catch-all), naming the path asked for
  # ($unknownPath: the proxy part filled in, escaped for JSON; escapeJavaScript's \' is not JSON, hence the
  # replace). Each body follows cors_origin_template in the response template.
  mock_answers = merge(
    {
      for resource, methods in local.resource_methods : "${resource} OPTIONS" => {
        resource = resource
        method   = "OPTIONS"
        status   = "204"
        headers = merge(local.mock_response_headers, {
          "method.response.header.Access-Control-Allow-Methods" = "'${methods}'"
          "method.response.header.Access-Control-Allow-Headers" = "'${local.cors_allow_headers}'"
          "method.response.header.Access-Control-Max-Age"       = "'600'"
        })
        body = ""
      }
    },
    {
      for resource, methods in local.resource_methods : "${resource} ANY" => {
        resource = resource
        method   = "ANY"
        status   = "405"
        headers  = merge(local.mock_response_headers, { "method.response.header.Allow" = "'${methods}'" })
        body     = chomp(templatefile("${path.module}/templates/method_not_allowed.vm", { methods = methods }))
      }
    },
    {
      for resource, api_resource in local.infrastructure.api_gateway_resources : "${resource} ANY" => {
        resource = resource
        method   = "ANY"
        status   = "404"
        headers  = local.mock_response_headers
        body = chomp(templatefile("${path.module}/templates/not_found.vm", {
          path = replace(api_resource.path, "{proxy+}", "$input.params('proxy')")
        }))
      } if !contains(keys(local.resource_methods), resource)
    },
  )
}

resource "aws_api_gateway_authorizer" "cognito" {
  count = var.write_authorization == "COGNITO_USER_POOLS" ? 1 : 0

  name          = "bbws-product-api-cognito-${var.environment}"
  rest_api_id   = local.api_id
  type          = "COGNITO_USER_POOLS"
  provider_arns = var.cognito_user_pool_arns
}

# The five routes, each proxied to its function. Reads are public; writes need var.write_authorization.
resource "aws_api_gateway_method" "route" {
  for_each = local.functions

  # checkov:skip=CKV_AWS_59:Reads are public by design (pricing page); writes carry AWS_IAM or Cognito authorization.
  # checkov:skip=CKV2_AWS_53:Each function validates its whole request (path, query and body) and answers in the API's error envelope.
  rest_api_id   = local.api_id
  resource_id   = local.infrastructure.api_gateway_resources[each.value.resource].id
  http_method   = each.value.method
  authorization = each.value.method == "GET" ? "NONE" : var.write_authorization
  authorizer_id = each.value.method != "GET" && var.write_authorization == "COGNITO_USER_POOLS" ? aws_api_gateway_authorizer.cognito[0].id : null
}

resource "aws_api_gateway_integration" "route" {
  for_each = local.functions

  rest_api_id             = local.api_id
  resource_id             = aws_api_gateway_method.route[each.key].resource_id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.api[each.key].invoke_arn
}

# The answers API Gateway gives itself (local.mock_answers): CORS preflights, 405 and 404.
resource "aws_api_gateway_method" "mock_answer" {
  for_each = local.mock_answers

  # checkov:skip=CKV_AWS_59:CORS preflight requests carry no credentials by definition; 405 and 404 touch no backend, and refusing needs no credentials.
  # checkov:skip=CKV2_AWS_53:A MOCK preflight or error answer has no request to validate.
  rest_api_id   = local.api_id
  resource_id   = local.infrastructure.api_gateway_resources[each.value.resource].id
  http_method   = each.value.method
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "mock_answer" {
  for_each = local.mock_answers

  rest_api_id       = local.api_id
  resource_id       = aws_api_gateway_method.mock_answer[each.key].resource_id
  http_method       = aws_api_gateway_method.mock_answer[each.key].http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": ${each.value.status}}" }
}

resource "aws_api_gateway_method_response" "mock_answer" {
  for_each = local.mock_answers

  rest_api_id         = local.api_id
  resource_id         = aws_api_gateway_method.mock_answer[each.key].resource_id
  http_method         = aws_api_gateway_method.mock_answer[each.key].http_method
  status_code         = each.value.status
  response_parameters = merge({ for name, _ in each.value.headers : name => true }, local.mock_optional_headers)
}

resource "aws_api_gateway_integration_response" "mock_answer" {
  for_each = local.mock_answers

  rest_api_id         = local.api_id
  resource_id         = aws_api_gateway_method.mock_answer[each.key].resource_id
  http_method         = aws_api_gateway_method.mock_answer[each.key].http_method
  status_code         = aws_api_gateway_method_response.mock_answer[each.key].status_code
  response_parameters = each.value.headers
  response_templates  = { "application/json" = "${local.cors_origin_template}${each.value.body}" }

  depends_on = [aws_api_gateway_integration.mock_answer]
}

resource "aws_api_gateway_deployment" "product_api" {
  rest_api_id = local.api_id
  description = "BBWS product API (${var.environment})"

  # A new deployment when, and only when, a route, method, integration or API-level setting changes.
  triggers = {
    redeployment = sha1(jsonencode([
      local.infrastructure.api_gateway_configuration_hash,
      [for key, method in aws_api_gateway_method.route : [key, method.id, method.authorization]],
      [for authorizer in aws_api_gateway_authorizer.cognito : [authorizer.id, authorizer.provider_arns]],
      [for key, integration in aws_api_gateway_integration.route : [key, integration.id, integration.type, integration.uri]],
      [for key, method in aws_api_gateway_method.mock_answer : [key, method.id]],
      [for key, integration in aws_api_gateway_integration.mock_answer : [key, integration.id, integration.request_templates]],
      [for key, response in aws_api_gateway_method_response.mock_answer : [key, response.id, response.status_code, response.response_parameters]],
      [for key, response in aws_api_gateway_integration_response.mock_answer : [key, response.id, response.status_code, response.response_parameters, response.response_templates]],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "product_api" {
  # checkov:skip=CKV_AWS_120:Responses depend on strongly consistent reads (read-your-writes); a cache would serve stale products.
  # checkov:skip=CKV2_AWS_51:Clients are browsers and the admin app, not mutually authenticated TLS clients.
  rest_api_id          = local.api_id
  deployment_id        = aws_api_gateway_deployment.product_api.id
  stage_name           = local.stage_name
  description          = "BBWS product API, ${var.environment}"
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    # requestId is the X-Request-Id every response carries and the requestId of the function's log line.
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integrationStatus"
      # The function invocation's own request id: its START, END and REPORT lines carry it as @requestId.
      integrationRequestId = "$context.integration.requestId"
      errorType            = "$context.error.responseType"
      errorMessage         = "$context.error.message"
      sourceIp             = "$context.identity.sourceIp"
      userAgent            = "$context.identity.userAgent"
      caller               = "$context.identity.caller"
      xrayTraceId          = "$context.xrayTraceId"
    })
  }

  lifecycle {
    precondition {
      condition     = local.infrastructure.environment == var.environment
      error_message = "The infrastructure state read belongs to another environment; check infrastructure_state_bucket and infrastructure_state_key."
    }
  }
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = local.api_id
  stage_name  = aws_api_gateway_stage.product_api.stage_name
  method_path = "*/*"

  # checkov:skip=CKV_AWS_225:Caching stays off: reads must reflect writes at once (see CKV_AWS_120 on the stage).
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    throttling_rate_limit  = var.stage_rate_limit
    throttling_burst_limit = var.stage_rate_limit * 2
  }
}

resource "aws_api_gateway_method_settings" "write" {
  for_each = local.write_functions

  rest_api_id = local.api_id
  stage_name  = aws_api_gateway_stage.product_api.stage_name
  method_path = "${trimprefix(local.infrastructure.api_gateway_resources[each.value.resource].path, "/")}/${each.value.method}"

  # checkov:skip=CKV_AWS_225:Caching stays off: writes are never cacheable.
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    throttling_rate_limit  = var.write_rate_limit
    throttling_burst_limit = var.write_rate_limit * 2
  }
}
