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

variable "alarm_subscriptions" {
  type = list(object({
    protocol = string
    endpoint = string
  }))
  description = "Who the alarm topic notifies: email (an address, confirmed by its owner), https (a webhook such as an incident tool's), sqs or lambda (an ARN). prod needs at least one subscriber here or in alarm_forward_topics."
  default     = []

  validation {
    condition = alltrue([for s in var.alarm_subscriptions : (
      s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", s.endpoint)) :
      s.protocol == "https" ? startswith(s.endpoint, "https://") :
      contains(["sqs", "lambda"], s.protocol) && startswith(s.endpoint, "arn:")
    )])
    error_message = "Each subscription is email (an address), https (an https:// URL), or sqs or lambda (an ARN)."
  }

  validation {
    condition     = var.environment != "prod" || length(var.alarm_subscriptions) + length(var.alarm_forward_topics) > 0
    error_message = "prod must name at least one alarm subscriber (alarm_subscriptions or alarm_forward_topics): an alarm that reaches no one pages no one."
  }
}

variable "alarm_forward_topics" {
  type        = list(string)
  description = "Existing SNS topics every alarm also notifies, e.g. the topic a chat channel of Amazon Q Developer in chat applications (AWS Chatbot) watches, or a team's paging topic. SNS cannot subscribe a topic to a topic, so the alarms notify these directly."
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_forward_topics : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", arn))]) && length(var.alarm_forward_topics) <= 4
    error_message = "alarm_forward_topics are at most four SNS topic ARNs (an alarm takes five actions, one is the alarm topic)."
  }
}

variable "manage_api_gateway_account" {
  type        = bool
  description = "Set the account-wide API Gateway CloudWatch Logs role from this stack (needed once per account and region for access logs); turn off where another stack already owns it."
  default     = true
}
