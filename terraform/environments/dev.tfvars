environment                 = "dev"
infrastructure_state_bucket = "bbws-terraform-state-dev"
log_level                   = "DEBUG"
reserved_concurrency        = -1
write_authorization         = "AWS_IAM"
deployment_config           = "CodeDeployDefault.LambdaAllAtOnce"
snap_start                  = false
