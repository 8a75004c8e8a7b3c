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
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000", key_id = "00000000-0000-0000-0000-000000000000" }
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
    alarm_subscriptions  = [{ protocol = "email", endpoint = "oncall@example.com" }, { protocol = "https", endpoint = "https://events.example.com/hook" }]
    alarm_forward_topics = ["arn:aws:sns:eu-west-1:111111111111:chat-channel"]
  }

  assert {
    condition     = { for key, alarm in aws_cloudwatch_metric_alarm.table_alarms : alarm.alarm_name => [alarm.alarm_actions, alarm.ok_actions] } == { for name in ["bbws-products-dev-throttles", "bbws-products-dev-system-errors"] : name => [toset(["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev", "arn:aws:sns:eu-west-1:111111111111:chat-channel"]), toset(["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev", "arn:aws:sns:eu-west-1:111111111111:chat-channel"])] }
    error_message = "DynamoDB alarms notify the alarm topic and the forward topics, on ALARM and on OK."
  }
  assert {
    condition     = output.alarm_actions == ["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev", "arn:aws:sns:eu-west-1:111111111111:chat-channel"] && output.alarm_topic_arn == aws_sns_topic.alarms.arn
    error_message = "The Lambda stack gets the alarm topic first, then the forward topics."
  }
  assert {
    condition     = jsonencode([sort([for q in aws_cloudwatch_metric_alarm.table_alarms["system-errors"].metric_query : q.metric[0].dimensions.Operation if length(q.metric) > 0]), output.dynamodb_operations]) == jsonencode([for _ in range(2) : ["DeleteItem", "GetItem", "PutItem", "Query", "Scan", "TransactWriteItems", "UpdateItem"]])
    error_message = "The system-errors alarm sums SystemErrors over every operation the manifest's actions allow (TransactWriteItems for the writes)."
  }
  assert {
    condition = { for q in aws_cloudwatch_metric_alarm.table_alarms["throttles"].metric_query : q.id => length(q.metric) == 0 ? q.expression : "${q.metric[0].metric_name} ${jsonencode(q.metric[0].dimensions)}" } == {
      throttles                   = "SUM(METRICS())"
      reads_table                 = "ReadThrottleEvents {\"TableName\":\"bbws-products-dev\"}"
      writes_table                = "WriteThrottleEvents {\"TableName\":\"bbws-products-dev\"}"
      reads_productsbypriceindex  = "ReadThrottleEvents {\"GlobalSecondaryIndexName\":\"ProductsByPriceIndex\",\"TableName\":\"bbws-products-dev\"}"
      writes_productsbypriceindex = "WriteThrottleEvents {\"GlobalSecondaryIndexName\":\"ProductsByPriceIndex\",\"TableName\":\"bbws-products-dev\"}"
      reads_productsbynameindex   = "ReadThrottleEvents {\"GlobalSecondaryIndexName\":\"ProductsByNameIndex\",\"TableName\":\"bbws-products-dev\"}"
      writes_productsbynameindex  = "WriteThrottleEvents {\"GlobalSecondaryIndexName\":\"ProductsByNameIndex\",\"TableName\":\"bbws-products-dev\"}"
    }
    error_message = "The throttles alarm adds read and write throttle events of the table and of each index (TableName + GlobalSecondaryIndexName)."
  }
  assert {
    condition     = local.tags == { Project = "BBWS", Component = "ProductLambda", CostCenter = "BBWS-CPP", Environment = "dev", ManagedBy = "terraform" }
    error_message = "default_tags must carry the five BBWS tags."
  }
}

run "alarm_topic_is_encrypted_and_only_cloudwatch_publishes" {
  command = apply

  variables {
    alarm_subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }, { protocol = "https", endpoint = "https://events.example.com/hook" }]
  }

  assert {
    condition     = aws_sns_topic.alarms.name == "bbws-product-api-alarms-dev" && aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms.arn && aws_kms_key.alarms.enable_key_rotation
    error_message = "One alarm topic per environment, encrypted with its own rotated KMS key."
  }
  assert {
    condition     = { for key, s in aws_sns_topic_subscription.alarms : s.protocol => s.endpoint } == { email = "oncall@example.com", https = "https://events.example.com/hook" } && alltrue([for s in aws_sns_topic_subscription.alarms : s.topic_arn == aws_sns_topic.alarms.arn])
    error_message = "Each alarm_subscriptions entry subscribes to the alarm topic."
  }
  assert {
    condition = jsonencode([for s in data.aws_iam_policy_document.alarm_topic.statement : [s.sid, coalesce(s.effect, "Allow"), sort(s.actions), [for p in s.principals : sort(p.identifiers)]]]) == jsonencode([
      ["CloudWatchAlarmsPublish", "Allow", ["sns:Publish"], [["cloudwatch.amazonaws.com"]]],
      ["NoOtherPublisher", "Deny", ["sns:Publish"], [["*"]]],
    ])
    error_message = "The topic policy lets CloudWatch publish and refuses every other publisher."
  }
  assert {
    condition = jsonencode([for s in data.aws_iam_policy_document.alarm_topic.statement : { for c in s.condition : c.variable => [c.test, sort(c.values)] }]) == jsonencode([
      { "aws:SourceAccount" = ["StringEquals", ["111111111111"]], "aws:SourceArn" = ["ArnLike", ["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*"]] },
      { "aws:PrincipalServiceName" = ["StringNotEqualsIfExists", ["cloudwatch.amazonaws.com"]] },
    ])
    error_message = "Only alarms of this account and region publish (aws:SourceAccount, aws:SourceArn)."
  }
  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.alarm_key.statement : [for p in s.principals : sort(p.identifiers)] if s.sid == "CloudWatchAlarmsEncrypt"]) == jsonencode([[["cloudwatch.amazonaws.com"]]])
    error_message = "CloudWatch may use the topic's key (the AWS managed SNS key would refuse it)."
  }
  # Finding 2: the apply enables rotation right after CreateKey, before tag-based grants may have taken effect.
  assert {
    condition = jsonencode({ for s in data.aws_iam_policy_document.alarm_key.statement : s.sid => [for p in s.principals : [p.type, sort(p.identifiers)]] if s.sid != "CloudWatchAlarmsEncrypt" }) == jsonencode({
      AccountAdministers = [["AWS", ["arn:aws:iam::111111111111:root"]]]
      DeployRoleManages  = [["AWS", ["arn:aws:iam::111111111111:role/bbws-product-api-deploy-dev"]]]
    })
    error_message = "The key policy names the environment's deploy role (bootstrap's name) beside the account's administration."
  }
  assert {
    condition     = alltrue([for action in ["kms:EnableKeyRotation", "kms:GetKeyRotationStatus", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ListResourceTags", "kms:TagResource", "kms:ScheduleKeyDeletion"] : contains(one([for s in data.aws_iam_policy_document.alarm_key.statement : s.actions if s.sid == "DeployRoleManages"]), action)]) && !contains(one([for s in data.aws_iam_policy_document.alarm_key.statement : s.actions if s.sid == "DeployRoleManages"]), "kms:Decrypt")
    error_message = "The deploy role manages the key (rotation, policy, tags, deletion) by its policy, and never uses it to decrypt."
  }
}

run "secrets_are_made_here_before_any_reader_exists" {
  command = apply

  assert {
    condition     = keys(aws_secretsmanager_secret.function) == ["page-token-key"] && aws_secretsmanager_secret.function["page-token-key"].name == "bbws-page-token-key-dev" && aws_secretsmanager_secret.function["page-token-key"].recovery_window_in_days == 7
    error_message = "One secret per terraform/functions.json secret, bbws-<secret>-<env>, made empty by Terraform in this stack."
  }
  assert {
    condition     = output.secret_arns == { page-token-key = aws_secretsmanager_secret.function["page-token-key"].arn }
    error_message = "secret_arns gives the Lambda stack and scripts/ops/page_token_key.py each secret's ARN by its functions.json name."
  }
}

run "prod_without_an_alarm_subscriber_is_refused" {
  command = plan

  variables {
    environment          = "prod"
    cors_allowed_origins = ["https://portal.bbws.co.za"]
    alarm_subscriptions  = []
  }

  expect_failures = [var.alarm_subscriptions]
}

run "malformed_alarm_subscriptions_are_refused" {
  command = plan

  variables {
    alarm_subscriptions = [{ protocol = "https", endpoint = "http://insecure.example.com" }, { protocol = "sms", endpoint = "+27000000000" }]
  }

  expect_failures = [var.alarm_subscriptions]
}

run "prod_names_and_deletion_protection" {
  command = apply

  variables {
    environment          = "prod"
    deletion_protection  = true
    cors_allowed_origins = ["https://portal.bbws.co.za", "https://admin.bbws.co.za"]
    alarm_subscriptions  = [{ protocol = "email", endpoint = "oncall@example.com" }]
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
