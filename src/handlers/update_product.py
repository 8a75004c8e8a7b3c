"""PUT /v1.0/products/{productId}: partial update of any client field, including restore."""

from services.factory import product_service
from utils.api_gateway import ApiRequest, api_handler
from utils.response_builder import ApiResponse, product_response
from validators.product_validator import parse_changes
from utils.entity_tags import if_match_condition, if_none_match_condition
from validators.request_validator import json_object_body, product_id_from


@api_handler
def handler(request: ApiRequest) -> ApiResponse:
    product_id = product_id_from(request.path_parameters)
    if_match = if_match_condition(request.header("If-Match"))
    if_none_match = if_none_match_condition(request.header("If-None-Match"))
    changes = parse_changes(
        json_object_body(request.header("Content-Type"), request.header("Content-Encoding"), request.body)
    )
    return product_response(
        product_service().update(product_id, changes, request.caller, if_match, if_none_match)
    )
