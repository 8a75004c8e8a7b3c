environment                 = "sit"
infrastructure_state_bucket = "bbws-terraform-state-sit"
log_level                   = "INFO"
reserved_concurrency        = -1
write_authorization         = "AWS_IAM"
alarm_actions               = []
deployment_config           = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
