output "function_names" {
  description = "Function names by handler (list_products, get_product, create_product, update_product, delete_product)."
  value       = { for name, fn in aws_lambda_function.api : name => fn.function_name }
}

output "function_arns" {
  description = "Function ARNs by handler."
  value       = { for name, fn in aws_lambda_function.api : name => fn.arn }
}

output "dependencies_layer_arn" {
  description = "Versioned ARN of the layer holding pydantic for the write functions."
  value       = aws_lambda_layer_version.dependencies.arn
}

output "stage_name" {
  description = "Name of the API stage (the environment)."
  value       = aws_api_gateway_stage.product_api.stage_name
}

output "stage_url" {
  description = "Invoke URL of the stage, e.g. https://<id>.execute-api.<region>.amazonaws.com/dev (scripts/ops/validate_deployment.py --base-url)."
  value       = aws_api_gateway_stage.product_api.invoke_url
}

output "products_url" {
  description = "URL of the products collection in this stage (<stage_url>/v1.0/products)."
  value       = local.products_url
}
