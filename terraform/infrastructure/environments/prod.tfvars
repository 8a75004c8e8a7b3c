environment          = "prod"
deletion_protection  = true
cors_allowed_origins = ["https://portal.bbws.co.za", "https://admin.bbws.co.za"]
alarm_subscriptions  = [{ protocol = "email", endpoint = "product-api-oncall@bbws.co.za" }]
