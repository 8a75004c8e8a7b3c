environment                 = "prod"
infrastructure_state_bucket = "bbws-terraform-state-prod"
log_level                   = "INFO"
reserved_concurrency        = 100
write_authorization         = "AWS_IAM"
deployment_config           = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
snap_start                  = true
