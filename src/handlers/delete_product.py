"""DELETE /v1.0/products/{productId}: soft delete (204), also for an already inactive product."""

from services.factory import product_service
from utils.api_gateway import ApiRequest, api_handler
from utils.response_builder import ApiResponse, no_content_response
from utils.entity_tags import if_match_condition, if_none_match_condition
from validators.request_validator import product_id_from


@api_handler
def handler(request: ApiRequest) -> ApiResponse:
    product_id = product_id_from(request.path_parameters)
    if_match = if_match_condition(request.header("If-Match"))
    if_none_match = if_none_match_condition(request.header("If-None-Match"))
    product_service().delete(product_id, request.caller, if_match, if_none_match)
    return no_content_response()
