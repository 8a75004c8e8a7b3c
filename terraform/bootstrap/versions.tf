terraform {
  # 1.10: S3-native state locking (use_lockfile) in the stacks whose state this bootstrap holds.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Local state on purpose: this stack creates the buckets every other state lives in. After the first apply
  # it can move into one of them (docs/DEPLOYMENT.md, "Bootstrap"): add `backend "s3" {}` here and run
  # `terraform init -migrate-state -backend-config=...`.
}
