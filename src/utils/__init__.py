"""Settings, logging and API Gateway request/response helpers."""
