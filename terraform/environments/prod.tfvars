environment                 = "prod"
infrastructure_state_bucket = "bbws-terraform-state-prod"
log_level                   = "INFO"
reserved_concurrency        = 100
# 5 functions x 100 reserved + the 100 Lambda keeps unreserved = 600 at least; the quota requested before the first
# apply (docs/DEPLOYMENT.md, "Concurrency quota").
account_concurrency_limit = 1000
write_authorization       = "AWS_IAM"
deployment_config         = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
