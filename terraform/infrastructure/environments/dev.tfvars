environment          = "dev"
deletion_protection  = false
cors_allowed_origins = ["*"]
alarm_subscriptions  = []
