provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  api_name   = "bbws-product-api-${var.environment}"
  table_name = "bbws-products-${var.environment}"

  # The one table definition, shared with scripts/local_server/table.py so local tables cannot drift from this one.
  table_schema = jsondecode(file("${path.module}/products_table.json"))

  # The origin API Gateway's own responses (errors it generates before any function runs) allow; they cannot
  # choose per request, so they name the first configured origin.
  gateway_response_origin = var.cors_allowed_origins[0]

  # Shared with the Lambda stack (terraform/tags.json): one definition of the tags every resource carries.
  tags = merge(jsondecode(file("${path.module}/../tags.json")), { Environment = var.environment })
}
