resource "aws_dynamodb_table" "products" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.table_schema.hash_key
  range_key                   = local.table_schema.range_key
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = local.table_schema.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.table_schema.global_secondary_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = lookup(global_secondary_index.value, "range_key", null)
      projection_type = global_secondary_index.value.projection_type
    }
  }

  ttl {
    attribute_name = local.table_schema.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed key adds cost and key-policy upkeep the spec does not ask for.
  server_side_encryption {
    enabled = true
  }
}
