provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  infrastructure = data.terraform_remote_state.infrastructure.outputs

  # The five functions (name, route, whether they need the pydantic layer, the DynamoDB actions their code
  # makes), from the manifest the local server, the package script, the benchmark and the tests also read.
  # Writes go through TransactWriteItems, which IAM authorizes as the Put/Delete actions it carries.
  # `resource` is the infrastructure stack's key of the API resource at the function's path.
  resource_keys = { for key, resource in local.infrastructure.api_gateway_resources : resource.path => key }
  functions = {
    for name, fn in jsondecode(file("${path.module}/functions.json")) :
    name => merge(fn, { resource = local.resource_keys[fn.path] })
  }

  function_names  = { for name, _ in local.functions : name => "bbws-${replace(name, "_", "-")}-${var.environment}" }
  write_functions = { for name, fn in local.functions : name => fn if fn.method != "GET" }

  package_dir     = coalesce(var.package_dir, "${path.module}/../build/lambda")
  layer_name      = "bbws-product-dependencies-${var.environment}"
  stage_name      = var.environment
  access_log_name = "/aws/apigateway/${local.infrastructure.api_gateway_name}/access"

  # Methods each resource answers, for the Allow header of its 405 response and its CORS preflight.
  resource_methods = {
    for resource in distinct([for fn in local.functions : fn.resource]) :
    resource => join(",", concat(sort([for fn in local.functions : fn.method if fn.resource == resource]), ["OPTIONS"]))
  }

  # What every alarm of this stack notifies on ALARM and OK: the environment's alarm topic (and any forward
  # topics), from the infrastructure stack.
  alarm_actions = local.infrastructure.alarm_actions

  # Shared with the infrastructure stack: one definition of the tags every resource carries.
  tags = merge(jsondecode(file("${path.module}/tags.json")), { Environment = var.environment })
}
