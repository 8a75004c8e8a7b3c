provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = "BBWS"
      Component = "ProductLambdaBootstrap"
      ManagedBy = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  github_oidc_host = "token.actions.githubusercontent.com"
  state_buckets    = { for env in var.environments : env => "${var.state_bucket_prefix}-${env}" }

  # The GitHub environments whose jobs may assume each role: <env> (with its reviewers) for deploy roles,
  # <env>-plan (no reviewers) for the read-only plan roles, so a plan exists before anyone approves.
  role_subjects = {
    for pair in setproduct(var.environments, ["plan", "deploy"]) : "${pair[0]}-${pair[1]}" => {
      environment = pair[0]
      kind        = pair[1]
      name        = "bbws-product-api-${pair[1]}-${pair[0]}"
      subject     = "repo:${var.github_repository}:environment:${pair[1] == "plan" ? "${pair[0]}-plan" : pair[0]}"
    }
  }
}
