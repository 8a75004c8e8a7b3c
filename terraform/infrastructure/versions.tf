terraform {
  # 1.10: S3-native state locking (use_lockfile); 1.9: validations that refer to other variables.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
