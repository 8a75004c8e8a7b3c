provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  infrastructure = data.terraform_remote_state.infrastructure.outputs

  # The five functions: route, DynamoDB actions their code makes, and whether they need the pydantic layer.
  # Writes go through TransactWriteItems, which IAM authorizes as the Put/Delete actions it carries.
  functions = {
    list_products = {
      method            = "GET"
      resource          = "products"
      table_actions     = ["dynamodb:Scan"]
      index_actions     = ["dynamodb:Query"]
      uses_dependencies = false
    }
    get_product = {
      method            = "GET"
      resource          = "product"
      table_actions     = ["dynamodb:GetItem"]
      index_actions     = []
      uses_dependencies = false
    }
    create_product = {
      method            = "POST"
      resource          = "products"
      table_actions     = ["dynamodb:GetItem", "dynamodb:PutItem"]
      index_actions     = []
      uses_dependencies = true
    }
    update_product = {
      method            = "PUT"
      resource          = "product"
      table_actions     = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
      index_actions     = []
      uses_dependencies = true
    }
    delete_product = {
      method            = "DELETE"
      resource          = "product"
      table_actions     = ["dynamodb:GetItem", "dynamodb:PutItem"]
      index_actions     = []
      uses_dependencies = false
    }
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

  tags = {
    Project     = "BBWS"
    Component   = "ProductLambda"
    CostCenter  = "BBWS-CPP"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}
