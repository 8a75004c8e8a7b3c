"""GET /v1.0/products/{productId}: one active product, or 304 when the client's copy is current."""

from services.factory import product_service
from utils.api_gateway import ApiRequest, api_handler
from utils.response_builder import ApiResponse, not_modified_response, product_response
from utils.entity_tags import if_none_match_condition
from validators.request_validator import product_id_from


@api_handler
def handler(request: ApiRequest) -> ApiResponse:
    product = product_service().get(product_id_from(request.path_parameters))
    cached = if_none_match_condition(request.header("If-None-Match"))
    if cached is not None and cached.matches(product.version):
        return not_modified_response(product)
    return product_response(product)
