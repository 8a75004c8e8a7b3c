# Offline tests of the infrastructure stack: a mocked AWS provider, nothing leaves this machine.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/mock" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
}

variables {
  environment          = "dev"
  deletion_protection  = false
  cors_allowed_origins = ["*"]
}

run "dev_table_matches_the_shared_schema" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.products.name == "bbws-products-dev"
    error_message = "Table name must be bbws-products-<env>."
  }
  assert {
    condition     = aws_dynamodb_table.products.hash_key == "PK" && aws_dynamodb_table.products.range_key == "SK"
    error_message = "Table key schema must be PK (hash) and SK (range)."
  }
  assert {
    condition     = aws_dynamodb_table.products.billing_mode == "PAY_PER_REQUEST"
    error_message = "Table must be on-demand."
  }
  assert {
    condition = jsonencode({
      for gsi in aws_dynamodb_table.products.global_secondary_index : gsi.name => [gsi.hash_key, gsi.range_key, gsi.projection_type]
      }) == jsonencode({
      ProductsByPriceIndex = ["GSI1_PK", "GSI1_SK", "ALL"]
      ProductsByNameIndex  = ["GSI2_PK", null, "ALL"]
    })
    error_message = "Both GSIs must exist with their keys and projection ALL."
  }
  assert {
    condition     = { for a in aws_dynamodb_table.products.attribute : a.name => a.type } == { PK = "S", SK = "S", GSI1_PK = "S", GSI1_SK = "S", GSI2_PK = "S" }
    error_message = "Attribute definitions must be the five key attributes, all strings."
  }
  assert {
    condition     = aws_dynamodb_table.products.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on."
  }
  assert {
    condition     = aws_dynamodb_table.products.server_side_encryption[0].enabled
    error_message = "Encryption at rest must be on."
  }
  assert {
    condition     = aws_dynamodb_table.products.ttl[0].enabled && aws_dynamodb_table.products.ttl[0].attribute_name == "expiresAt"
    error_message = "TTL must be enabled on expiresAt (idempotency records)."
  }
  assert {
    condition     = aws_dynamodb_table.products.deletion_protection_enabled == false
    error_message = "dev.tfvars leaves deletion protection off."
  }
}

run "dev_api_and_gateway_responses" {
  command = apply

  assert {
    condition     = aws_api_gateway_rest_api.product_api.name == "bbws-product-api-dev" && aws_api_gateway_rest_api.product_api.endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "REST API must be bbws-product-api-<env>, regional."
  }
  assert {
    condition     = [aws_api_gateway_resource.version.path_part, aws_api_gateway_resource.products.path_part, aws_api_gateway_resource.product.path_part] == ["v1.0", "products", "{productId}"]
    error_message = "Resources must be /v1.0/products/{productId}."
  }
  assert {
    condition     = aws_api_gateway_resource.catch_all.path_part == "{proxy+}" && aws_api_gateway_resource.catch_all.parent_id == aws_api_gateway_rest_api.product_api.root_resource_id
    error_message = "A greedy /{proxy+} resource under the root must catch every path no other resource matches."
  }
  assert {
    condition     = { for role, resource in output.api_gateway_resources : role => resource.id } == { root = aws_api_gateway_rest_api.product_api.root_resource_id, version = aws_api_gateway_resource.version.id, products = aws_api_gateway_resource.products.id, product = aws_api_gateway_resource.product.id, catch_all = aws_api_gateway_resource.catch_all.id }
    error_message = "The Lambda stack gets every resource of the API (it answers 404 on those without routes)."
  }
  assert {
    condition     = aws_api_gateway_gateway_response.error_envelope["MISSING_AUTHENTICATION_TOKEN"].status_code == "403" && strcontains(aws_api_gateway_gateway_response.error_envelope["MISSING_AUTHENTICATION_TOKEN"].response_templates["application/json"], "\"error\": \"Forbidden\", \"message\": \"Writes need an AWS Signature Version 4 Authorization header (service execute-api).\"")
    error_message = "An unsigned request to an AWS_IAM method must answer 403 Forbidden, naming the missing signature (unknown routes are the catch-all's 404)."
  }
  assert {
    condition     = alltrue([for response in aws_api_gateway_gateway_response.error_envelope : response.response_parameters["gatewayresponse.header.X-Request-Id"] == "context.requestId"])
    error_message = "Every gateway response must carry X-Request-Id from context.requestId."
  }
  assert {
    condition     = aws_api_gateway_gateway_response.error_envelope["THROTTLED"].status_code == "429" && aws_api_gateway_gateway_response.error_envelope["THROTTLED"].response_parameters["gatewayresponse.header.Retry-After"] == "'1'"
    error_message = "Throttling must answer 429 with Retry-After."
  }
  assert {
    # With API Gateway's variables filled in, each template is a JSON object of exactly these three fields.
    condition = alltrue([
      for response in aws_api_gateway_gateway_response.error_envelope :
      keys(jsondecode(replace(replace(response.response_templates["application/json"], "$context.error.messageString", "\"m\""), "$context.requestId", "r"))) == ["error", "message", "requestId"]
    ])
    error_message = "Every gateway response body must be the JSON envelope {error, message, requestId}."
  }
  assert {
    condition     = alltrue([for response in aws_api_gateway_gateway_response.error_envelope : response.response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"])
    error_message = "Gateway responses must carry the CORS origin (dev: *)."
  }
  assert {
    condition     = contains(keys(aws_api_gateway_gateway_response.error_envelope), "DEFAULT_4XX") && contains(keys(aws_api_gateway_gateway_response.error_envelope), "DEFAULT_5XX")
    error_message = "DEFAULT_4XX and DEFAULT_5XX must be customised."
  }
  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && length(aws_iam_role.api_gateway_cloudwatch) == 1
    error_message = "The API Gateway CloudWatch role is managed by default."
  }
  assert {
    condition     = aws_iam_role.api_gateway_cloudwatch[0].permissions_boundary == "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-dev" && output.permissions_boundary_arn == aws_iam_role.api_gateway_cloudwatch[0].permissions_boundary
    error_message = "The CloudWatch role carries the bootstrap's boundary, which the outputs hand to the Lambda stack."
  }
}

run "alarms_and_tags" {
  command = apply

  variables {
    alarm_actions = ["arn:aws:sns:eu-west-1:111111111111:ops"]
  }

  assert {
    condition     = { for key, alarm in aws_cloudwatch_metric_alarm.table_alarms : alarm.alarm_name => alarm.alarm_actions } == { "bbws-products-dev-throttles" = toset(["arn:aws:sns:eu-west-1:111111111111:ops"]), "bbws-products-dev-system-errors" = toset(["arn:aws:sns:eu-west-1:111111111111:ops"]) }
    error_message = "DynamoDB alarms must notify alarm_actions."
  }
  assert {
    condition     = length([for q in aws_cloudwatch_metric_alarm.table_alarms["system-errors"].metric_query : q if length(q.metric) > 0]) == 4
    error_message = "The system-errors alarm must sum SystemErrors over every operation the functions make."
  }
  assert {
    condition     = { for q in aws_cloudwatch_metric_alarm.table_alarms["throttles"].metric_query : q.id => length(q.metric) == 0 ? q.expression : "${q.metric[0].metric_name} ${jsonencode(q.metric[0].dimensions)}" } == { throttles = "reads + writes", reads = "ReadThrottleEvents {\"TableName\":\"bbws-products-dev\"}", writes = "WriteThrottleEvents {\"TableName\":\"bbws-products-dev\"}" }
    error_message = "The throttles alarm must add the table's read and write throttle events."
  }
  assert {
    condition     = local.tags == { Project = "BBWS", Component = "ProductLambda", CostCenter = "BBWS-CPP", Environment = "dev", ManagedBy = "terraform" }
    error_message = "default_tags must carry the five BBWS tags."
  }
}

run "prod_names_and_deletion_protection" {
  command = apply

  variables {
    environment          = "prod"
    deletion_protection  = true
    cors_allowed_origins = ["https://portal.bbws.co.za", "https://admin.bbws.co.za"]
  }

  assert {
    condition     = aws_dynamodb_table.products.name == "bbws-products-prod" && aws_api_gateway_rest_api.product_api.name == "bbws-product-api-prod"
    error_message = "prod names must end in -prod."
  }
  assert {
    condition     = aws_dynamodb_table.products.deletion_protection_enabled
    error_message = "prod must protect the table against deletion."
  }
  assert {
    condition     = output.cors_allowed_origins == tolist(["https://portal.bbws.co.za", "https://admin.bbws.co.za"]) && output.environment == "prod"
    error_message = "The Lambda stack reads the origins and the environment from the outputs."
  }
  assert {
    condition     = aws_api_gateway_gateway_response.error_envelope["DEFAULT_4XX"].response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://portal.bbws.co.za'"
    error_message = "Gateway responses name the first configured origin outside dev."
  }
}

run "wildcard_origin_is_refused_outside_dev" {
  command = plan

  variables {
    environment          = "sit"
    cors_allowed_origins = ["*"]
  }

  expect_failures = [var.cors_allowed_origins]
}

run "unknown_environment_is_refused" {
  command = plan

  variables {
    environment = "staging"
  }

  expect_failures = [var.environment]
}
