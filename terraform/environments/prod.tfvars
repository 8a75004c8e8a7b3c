environment                 = "prod"
infrastructure_state_bucket = "bbws-terraform-state-prod"
log_level                   = "INFO"
reserved_concurrency        = 100
write_authorization         = "AWS_IAM"
deployment_config           = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
snap_start                  = true

# The account's Lambda concurrent executions quota (L-B99A9384) as granted: 5 functions x 100 reserved + the 100
# Lambda keeps unreserved need at least 600; 1000 is requested before the first apply (docs/DEPLOYMENT.md,
# "Concurrency quota").
account_concurrency_limit = 1000
