output "api_gateway_id" {
  description = "ID of the product REST API."
  value       = aws_api_gateway_rest_api.product_api.id
}

output "api_gateway_execution_arn" {
  description = "Execution ARN of the product REST API, for Lambda invoke permissions."
  value       = aws_api_gateway_rest_api.product_api.execution_arn
}

output "api_gateway_root_resource_id" {
  description = "ID of the REST API's root resource (/)."
  value       = aws_api_gateway_rest_api.product_api.root_resource_id
}

output "api_gateway_name" {
  description = "Name of the product REST API (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.product_api.name
}

output "api_gateway_resources" {
  description = "Every resource of the API, by role, each with its id and path: root (/), version (/v1.0), products (/v1.0/products), product (/v1.0/products/{productId}) and catch_all (/{proxy+}). The Lambda stack attaches routes to products and product and answers 404 on the others."
  value = {
    root      = { id = aws_api_gateway_rest_api.product_api.root_resource_id, path = "/" }
    version   = { id = aws_api_gateway_resource.version.id, path = aws_api_gateway_resource.version.path }
    products  = { id = aws_api_gateway_resource.products.id, path = aws_api_gateway_resource.products.path }
    product   = { id = aws_api_gateway_resource.product.id, path = aws_api_gateway_resource.product.path }
    catch_all = { id = aws_api_gateway_resource.catch_all.id, path = aws_api_gateway_resource.catch_all.path }
  }
}

output "api_gateway_configuration_hash" {
  description = "Hash of the API-level configuration this stack owns (resources, gateway responses); the Lambda stack redeploys the stage when it changes."
  value = sha1(jsonencode([
    [for resource in [aws_api_gateway_resource.version, aws_api_gateway_resource.products, aws_api_gateway_resource.product, aws_api_gateway_resource.catch_all] : resource.id],
    [for response in aws_api_gateway_gateway_response.error_envelope : [response.response_type, response.status_code, response.response_parameters, response.response_templates]],
  ]))
}

output "cors_allowed_origins" {
  description = "Origins browsers may call the API from; the Lambda stack configures preflight responses and the functions with it."
  value       = var.cors_allowed_origins
}

output "environment" {
  description = "The environment this stack was applied for; the Lambda stack refuses a different one."
  value       = var.environment
}

output "dynamodb_table_name" {
  description = "Name of the products table."
  value       = aws_dynamodb_table.products.name
}

output "dynamodb_table_arn" {
  description = "ARN of the products table; index ARNs are <arn>/index/<name>."
  value       = aws_dynamodb_table.products.arn
}

output "dynamodb_index_names" {
  description = "Names of the table's global secondary indexes."
  value       = local.index_names
}

output "alarm_topic_arn" {
  description = "ARN of the environment's alarm topic (SNS, KMS-encrypted; only CloudWatch alarms of this account publish)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_actions" {
  description = "What every alarm of both stacks notifies on ALARM and OK: the alarm topic, then alarm_forward_topics."
  value       = local.alarm_actions
}

output "dynamodb_operations" {
  description = "The DynamoDB operations the functions may call (from terraform/functions.json's actions): the table's system-errors alarm watches each, the Lambda stack's dashboard shows each."
  value       = local.dynamodb_operations
}

output "permissions_boundary_arn" {
  description = "The permissions boundary (defined by terraform/bootstrap) every role of the stacks carries."
  value       = local.permissions_boundary_arn
}

output "secret_arns" {
  description = "The secrets the functions read, by functions.json name (page-token-key): scripts/ops/page_token_key.py puts their values; the Lambda stack gives each reading function its ARN."
  value       = { for name, secret in aws_secretsmanager_secret.function : name => secret.arn }
}
