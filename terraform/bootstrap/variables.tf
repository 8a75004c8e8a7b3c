variable "github_repository" {
  type        = string
  description = "The GitHub repository allowed to deploy, as owner/name; the roles trust only its jobs running in the matching GitHub environment."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, for example example-org/bbws-product-api."
  }
}

variable "environments" {
  type        = set(string)
  description = "Environments this AWS account hosts: one state bucket, one plan role and one deploy role each. One account for all three, or one account per environment."
  default     = ["dev", "sit", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in var.environments : contains(["dev", "sit", "prod"], env)])
    error_message = "environments must be a non-empty subset of dev, sit, prod."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region of the state buckets and of the stacks the roles deploy."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "state_bucket_prefix" {
  type        = string
  description = "State bucket names are <prefix>-<environment>; they must match bucket in each stack's environments/<env>.backend.hcl."
  default     = "bbws-terraform-state"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$", var.state_bucket_prefix))
    error_message = "state_bucket_prefix must be 3-47 lower-case letters, digits or hyphens (S3 bucket naming, room left for -<env>)."
  }
}

variable "state_key_prefix" {
  type        = string
  description = "Folder of the stacks' state objects inside each bucket (the key in environments/<env>.backend.hcl starts with it)."
  default     = "product-api"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.state_key_prefix))
    error_message = "state_key_prefix must be one path segment of letters, digits, _ or -."
  }
}

variable "noncurrent_state_retention_days" {
  type        = number
  description = "How long earlier versions of a state object are kept (the way back from a damaged state)."
  default     = 90

  validation {
    condition     = var.noncurrent_state_retention_days >= 7 && var.noncurrent_state_retention_days <= 3650
    error_message = "noncurrent_state_retention_days must be between 7 and 3650."
  }
}

variable "create_github_oidc_provider" {
  type        = bool
  description = "Create the account's GitHub OIDC provider; false when the account already has one (there can be only one per URL), which is then looked up."
  default     = true
}

variable "state_bucket_force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete state buckets that still hold objects. Only for throw-away accounts and the local apply against moto; never for a real account."
  default     = false
}

variable "create_access_analyzer" {
  type        = bool
  description = "Create the account's IAM Access Analyzer for external access (region of aws_region); false when the account already has one (AWS allows one per account and region)."
  default     = true
}
