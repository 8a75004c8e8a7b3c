"""POST /v1.0/products: create a product (201 with Location); retries with an Idempotency-Key are replayed."""

from services.factory import product_service
from utils.api_gateway import ApiRequest, api_handler
from utils.response_builder import ApiResponse, created_response
from validators.product_validator import parse_new_product
from validators.request_validator import idempotent_request, json_object_body


@api_handler
def handler(request: ApiRequest) -> ApiResponse:
    body = json_object_body(request.header("Content-Type"), request.header("Content-Encoding"), request.body)
    draft = parse_new_product(body)
    idempotent = idempotent_request(request.header("Idempotency-Key"), request.caller, draft)
    product = product_service().create(draft, request.caller, idempotent)
    return created_response(product, request.client_path)
