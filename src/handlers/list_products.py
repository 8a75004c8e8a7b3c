"""GET /v1.0/products: a page of active products, optionally by price or by exact name."""

from services.factory import product_service
from utils.api_gateway import ApiRequest, api_handler
from utils.response_builder import ApiResponse, list_response
from validators.request_validator import list_query


@api_handler
def handler(request: ApiRequest) -> ApiResponse:
    page = product_service().list(list_query(dict(request.query)))
    return list_response(page.products, page.next_token)
