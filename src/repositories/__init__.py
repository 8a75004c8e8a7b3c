"""Every DynamoDB call of the service."""
