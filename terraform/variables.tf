variable "environment" {
  type        = string
  description = "Deployment environment; part of every resource name, the stage name and the Environment tag."

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be one of dev, sit, prod."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region for every resource of this stack (and of the infrastructure stack it reads)."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "infrastructure_state_bucket" {
  type        = string
  description = "S3 bucket holding the infrastructure stack's state."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.infrastructure_state_bucket))
    error_message = "infrastructure_state_bucket must be an S3 bucket name."
  }
}

variable "infrastructure_state_key" {
  type        = string
  description = "Key of the infrastructure stack's state object in that bucket."
  default     = "product-api/infrastructure.tfstate"
}

variable "package_dir" {
  type        = string
  description = "Folder holding the ZIPs scripts/ops/package_lambdas.sh builds (<function>.zip, dependencies-layer.zip); null means build/lambda at the repository root."
  default     = null
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for each function; -1 reserves none (the account's shared pool)."
  default     = -1

  validation {
    condition     = var.reserved_concurrency == -1 || (var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency)
    error_message = "reserved_concurrency must be -1 (none) or a whole number of at least 1."
  }

  # Lambda refuses any reservation that leaves the account fewer than 100 unreserved concurrent executions;
  # every function of terraform/functions.json reserves this much.
  validation {
    condition     = var.reserved_concurrency == -1 || var.account_concurrency_limit - length(jsondecode(file("${path.module}/functions.json"))) * var.reserved_concurrency >= 100
    error_message = "reserved_concurrency times the number of functions (terraform/functions.json) must leave at least 100 of account_concurrency_limit unreserved: raise the account's quota first (docs/DEPLOYMENT.md, \"Concurrency quota\") and declare it in account_concurrency_limit."
  }
}

variable "account_concurrency_limit" {
  type        = number
  description = "The account's Lambda concurrent executions quota in aws_region (Service Quotas code L-B99A9384), as granted: 1000 is AWS's documented default, but a new account may start far lower (`aws service-quotas get-service-quota`). Only checks that reserved_concurrency fits; Terraform never changes the quota."
  default     = 1000

  validation {
    condition     = var.account_concurrency_limit >= 10 && floor(var.account_concurrency_limit) == var.account_concurrency_limit
    error_message = "account_concurrency_limit must be a whole number (the quota), at least 10."
  }
}

variable "snap_start" {
  type        = bool
  description = "Lambda SnapStart on the functions' published versions: each version is initialised and primed once (src/lifecycle/snapstart.py), and new execution environments resume from its snapshot. Python pays per GB-month cached and per GB restored (docs/PERFORMANCE.md, \"SnapStart\"): on in sit and prod, off in dev."
  default     = false
}

variable "log_retention_days" {
  type        = number
  description = "Days the functions' and the API's logs are kept."
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "write_authorization" {
  type        = string
  description = "How POST, PUT and DELETE are authorized: AWS_IAM (signed requests) or COGNITO_USER_POOLS. Reads are public."
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "COGNITO_USER_POOLS"], var.write_authorization)
    error_message = "write_authorization must be AWS_IAM or COGNITO_USER_POOLS."
  }
}

variable "cognito_user_pool_arns" {
  type        = list(string)
  description = "User pools whose tokens authorize writes when write_authorization is COGNITO_USER_POOLS."
  default     = []

  validation {
    condition     = var.write_authorization != "COGNITO_USER_POOLS" || length(var.cognito_user_pool_arns) > 0
    error_message = "COGNITO_USER_POOLS authorization needs at least one user pool ARN."
  }
}

variable "stage_rate_limit" {
  type        = number
  description = "Steady-state requests per second the stage accepts across all methods."
  default     = 100

  validation {
    condition     = var.stage_rate_limit > 0
    error_message = "stage_rate_limit must be positive."
  }
}

variable "write_rate_limit" {
  type        = number
  description = "Steady-state requests per second each write method (POST, PUT, DELETE) accepts."
  default     = 50

  validation {
    condition     = var.write_rate_limit > 0 && var.write_rate_limit <= var.stage_rate_limit
    error_message = "write_rate_limit must be positive and no more than stage_rate_limit."
  }
}

variable "latency_p95_threshold_ms" {
  type        = number
  description = "API latency (p95, milliseconds) above which the latency alarm fires."
  default     = 300
}

variable "unavailable_rate_threshold" {
  type        = number
  description = "Share of one operation's requests answered 503 (0.01 is 1%) above which its unavailable alarm fires, two five-minute periods in a row."
  default     = 0.01

  validation {
    condition     = var.unavailable_rate_threshold > 0 && var.unavailable_rate_threshold < 1
    error_message = "unavailable_rate_threshold must be a fraction between 0 and 1."
  }
}

variable "canary_runtime_version" {
  type        = string
  description = "CloudWatch Synthetics runtime of the canary: a Python one (its script is Python and uses the standard library only)."
  default     = "syn-python-selenium-14.0"

  validation {
    condition     = can(regex("^syn-python-selenium-[0-9]+\\.[0-9]+$", var.canary_runtime_version))
    error_message = "canary_runtime_version must be a Synthetics Python runtime, syn-python-selenium-<major>.<minor>."
  }
}

variable "deployment_config" {
  type        = string
  description = "How CodeDeploy shifts traffic to a new version: a built-in Lambda configuration (dev all at once, sit linear, prod canary)."
  default     = "CodeDeployDefault.LambdaCanary10Percent5Minutes"

  validation {
    condition = contains([
      "CodeDeployDefault.LambdaAllAtOnce",
      "CodeDeployDefault.LambdaCanary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent10Minutes",
      "CodeDeployDefault.LambdaCanary10Percent15Minutes", "CodeDeployDefault.LambdaCanary10Percent30Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
    ], var.deployment_config)
    error_message = "deployment_config must be a built-in CodeDeploy Lambda configuration (CodeDeployDefault.LambdaAllAtOnce, ...Canary10Percent<N>Minutes, ...Linear10PercentEvery<N>Minute(s))."
  }
  # Prod never takes all of its traffic at once: a bad release must meet its alarms on a share first.
  validation {
    condition     = var.environment != "prod" || startswith(var.deployment_config, "CodeDeployDefault.LambdaCanary")
    error_message = "prod releases through a canary (CodeDeployDefault.LambdaCanary10Percent<N>Minutes)."
  }
}
