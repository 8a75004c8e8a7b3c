variable "environment" {
  type        = string
  description = "Deployment environment; part of every resource name and the Environment tag."

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be one of dev, sit, prod."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region for every resource of this stack."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the products table against deletion (true in prod)."
  default     = true
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Origins browsers may call the API from; \"*\" (any origin) is accepted in dev only. The Lambda stack reads this list from this stack's outputs."

  validation {
    condition     = length(var.cors_allowed_origins) > 0
    error_message = "cors_allowed_origins needs at least one origin."
  }

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : origin == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?$", origin))])
    error_message = "Each origin must be \"*\" or scheme://host[:port] without a path or trailing slash."
  }

  validation {
    condition     = var.environment == "dev" || !contains(var.cors_allowed_origins, "*")
    error_message = "\"*\" is allowed as a CORS origin in dev only."
  }
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs notified when an alarm fires or recovers (SNS topics); empty means the alarms only record state."
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : startswith(arn, "arn:")])
    error_message = "alarm_actions must be ARNs."
  }
}

variable "manage_api_gateway_account" {
  type        = bool
  description = "Set the account-wide API Gateway CloudWatch Logs role from this stack (needed once per account and region for access logs); turn off where another stack already owns it."
  default     = true
}
