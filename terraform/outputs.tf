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

output "release" {
  description = "What scripts/ops/release.py moves: the CodeDeploy application, the alias, and per handler the function, its deployment group and the version this apply published."
  value = {
    application = aws_codedeploy_app.product_api.name
    alias       = local.alias_name
    functions = {
      for name, fn in aws_lambda_function.api : name => {
        function_name    = fn.function_name
        deployment_group = aws_codedeploy_deployment_group.function[name].deployment_group_name
        version          = fn.version
      }
    }
  }
}

output "secret_arns" {
  description = "The secrets the functions read, by functions.json name (page-token-key), as the infrastructure stack made them (its output of the same name): scripts/ops/page_token_key.py puts their values."
  value       = { for name in distinct(flatten([for fn in local.functions : fn.secrets])) : name => local.infrastructure.secret_arns[name] }
}
