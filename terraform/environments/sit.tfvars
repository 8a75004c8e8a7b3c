environment                 = "sit"
infrastructure_state_bucket = "bbws-terraform-state-sit"
log_level                   = "INFO"
reserved_concurrency        = -1
write_authorization         = "AWS_IAM"
deployment_config           = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
snap_start                  = true
