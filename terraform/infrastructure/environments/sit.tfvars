environment          = "sit"
deletion_protection  = false
cors_allowed_origins = ["https://sit.portal.bbws.co.za", "https://sit.admin.bbws.co.za"]
alarm_subscriptions  = []
