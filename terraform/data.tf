# The infrastructure stack's outputs (table, REST API and its resources, CORS origins), from its S3 state.
data "terraform_remote_state" "infrastructure" {
  backend = "s3"

  config = {
    bucket = var.infrastructure_state_bucket
    key    = var.infrastructure_state_key
    region = var.aws_region
  }
}

# The account and partition, for the names and ARNs of the canary's bucket and log group.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
