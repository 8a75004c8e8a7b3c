"""The five handlers: statuses, envelopes and headers for API Gateway proxy events."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from samples import product_body, to_json
from handlers import create_product, delete_product, get_product, list_products, update_product
from services.product_service import ProductService

Event = Callable[..., dict[str, Any]]
ADMIN_ORIGIN = "https://admin.example.com"


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def create(make_event: Event, **overrides: Any) -> dict[str, Any]:
    response = create_product.handler(make_event("POST", body=product_body(**overrides)), None)
    assert response["statusCode"] == 201, response["body"]
    product: dict[str, Any] = body_of(response)["product"]
    return product


def by_id(product_id: str) -> dict[str, str]:
    return {"productId": product_id}


def test_create_returns_201_with_location_and_etag(make_event: Event) -> None:
    response = create_product.handler(make_event("POST", body=product_body(name="Entry Plan")), None)
    product = body_of(response)["product"]
    assert response["statusCode"] == 201
    assert response["headers"]["Location"] == f"/v1.0/products/{product['productId']}"
    assert response["headers"]["ETag"] == '"1"'
    assert product["name"] == "Entry Plan" and product["price"] == 95.5 and product["currency"] == "ZAR"


@pytest.mark.parametrize(
    "client_path",
    ["/dev/v1.0/products", "/catalogue/v1.0/products", "/v1.0/products"],
    ids=["a stage", "a custom domain's base path", "a custom domain without base path"],
)
def test_create_location_is_built_from_the_path_the_client_used(make_event: Event, client_path: str) -> None:
    # API Gateway's event path leaves out the stage or base path; requestContext.path holds what was sent.
    event = make_event("POST", body=product_body(name="Entry Plan"))
    event["requestContext"]["path"] = client_path
    response = create_product.handler(event, None)
    product_id = body_of(response)["product"]["productId"]
    assert response["headers"]["Location"] == f"{client_path}/{product_id}"


def test_create_records_the_authorizer_email_as_last_updated_by(make_event: Event) -> None:
    event = make_event("POST", body=product_body(), authorizer={"claims": {"email": "ops@example.com"}})
    assert body_of(create_product.handler(event, None))["product"]["lastUpdatedBy"] == "ops@example.com"


def test_create_records_the_iam_caller_arn(make_event: Event) -> None:
    arn = "arn:aws:iam::111122223333:user/admin"
    event = make_event("POST", body=product_body(), identity={"userArn": arn})
    assert body_of(create_product.handler(event, None))["product"]["lastUpdatedBy"] == arn


def test_create_by_unidentified_caller_is_anonymous(make_event: Event) -> None:
    assert create(make_event)["lastUpdatedBy"] == "anonymous"


def test_create_accepts_a_base64_encoded_body(make_event: Event) -> None:
    event = make_event("POST")
    event["body"] = base64.b64encode(to_json(product_body(name="Encoded Plan")).encode()).decode()
    event["isBase64Encoded"] = True
    response = create_product.handler(event, None)
    assert response["statusCode"] == 201
    assert body_of(response)["product"]["name"] == "Encoded Plan"


def test_create_with_invalid_base64_is_400(make_event: Event) -> None:
    event = make_event("POST", body="%%%not-base64%%%")
    event["isBase64Encoded"] = True
    assert create_product.handler(event, None)["statusCode"] == 400


def test_validation_errors_list_each_field(make_event: Event) -> None:
    response = create_product.handler(make_event("POST", body={"name": "ab", "price": "9"}), None)
    body = body_of(response)
    assert response["statusCode"] == 400
    assert body["error"] == "Validation Failed"
    assert {d["field"] for d in body["details"]} == {"name", "price", "description", "period"}
    assert body["requestId"] == response["headers"]["X-Request-Id"]


def test_create_with_wrong_content_type_is_415(make_event: Event) -> None:
    event = make_event("POST", body=product_body(), headers={"Content-Type": "text/plain"})
    assert create_product.handler(event, None)["statusCode"] == 415


def test_create_with_taken_name_is_409(make_event: Event) -> None:
    create(make_event, name="Entry Plan")
    response = create_product.handler(make_event("POST", body=product_body(name="entry plan")), None)
    assert response["statusCode"] == 409
    assert "already used" in body_of(response)["message"]


def test_get_returns_the_product_with_etag(make_event: Event) -> None:
    product = create(make_event)
    response = get_product.handler(make_event(path_parameters=by_id(product["productId"])), None)
    assert response["statusCode"] == 200
    assert body_of(response) == {"product": product}
    assert response["headers"]["ETag"] == '"1"'


def test_get_with_current_etag_is_304_without_body(make_event: Event) -> None:
    product = create(make_event)
    event = make_event(path_parameters=by_id(product["productId"]), headers={"If-None-Match": '"1"'})
    response = get_product.handler(event, None)
    assert (response["statusCode"], response["body"]) == (304, "")
    assert "Content-Type" not in response["headers"]
    assert response["headers"]["ETag"] == '"1"'


def test_get_with_old_etag_is_200(make_event: Event) -> None:
    product = create(make_event)
    event = make_event(path_parameters=by_id(product["productId"]), headers={"If-None-Match": '"0"'})
    assert get_product.handler(event, None)["statusCode"] == 200


@pytest.mark.parametrize("product_id", ["not-a-uuid", "3F2B8C1E-4D5A-4B6C-9E7F-0A1B2C3D4E5F"])
def test_get_with_malformed_id_is_400(make_event: Event, product_id: str) -> None:
    assert get_product.handler(make_event(path_parameters=by_id(product_id)), None)["statusCode"] == 400


def test_get_of_unknown_id_is_404(make_event: Event) -> None:
    event = make_event(path_parameters=by_id("3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"))
    response = get_product.handler(event, None)
    assert response["statusCode"] == 404
    assert set(body_of(response)) == {"error", "message", "requestId"}


def test_list_returns_the_envelope(make_event: Event) -> None:
    first, second = create(make_event), create(make_event)
    body = body_of(list_products.handler(make_event(), None))
    assert body["count"] == 2
    assert {p["productId"] for p in body["products"]} == {first["productId"], second["productId"]}
    assert "nextToken" not in body


def test_list_with_unknown_parameter_is_400(make_event: Event) -> None:
    response = list_products.handler(make_event(query={"colour": ["red"]}), None)
    assert response["statusCode"] == 400
    assert body_of(response)["details"][0]["field"] == "colour"


def test_update_applies_a_partial_change(make_event: Event) -> None:
    product = create(make_event)
    event = make_event("PUT", body={"price": 120}, path_parameters=by_id(product["productId"]))
    response = update_product.handler(event, None)
    assert response["statusCode"] == 200
    assert body_of(response)["product"]["price"] == 120
    assert body_of(response)["product"]["description"] == product["description"]
    assert response["headers"]["ETag"] == '"2"'


def test_update_with_stale_if_match_is_412(make_event: Event) -> None:
    product = create(make_event)
    event = make_event(
        "PUT", body={"price": 120}, path_parameters=by_id(product["productId"]), headers={"If-Match": '"9"'}
    )
    assert update_product.handler(event, None)["statusCode"] == 412


def test_update_with_empty_object_is_400(make_event: Event) -> None:
    product = create(make_event)
    event = make_event("PUT", body={}, path_parameters=by_id(product["productId"]))
    assert update_product.handler(event, None)["statusCode"] == 400


def test_delete_is_204_and_then_404_on_get(make_event: Event) -> None:
    product = create(make_event)
    response = delete_product.handler(make_event("DELETE", path_parameters=by_id(product["productId"])), None)
    assert (response["statusCode"], response["body"]) == (204, "")
    assert (
        get_product.handler(make_event(path_parameters=by_id(product["productId"])), None)["statusCode"]
        == 404
    )


def delete(
    make_event: Event, product_id: str, if_match: str | None = None, by: str = "ops@example.com"
) -> int:
    headers = {"If-Match": if_match} if if_match else None
    claims = {"claims": {"email": by}}
    event = make_event("DELETE", path_parameters=by_id(product_id), headers=headers, authorizer=claims)
    status: int = delete_product.handler(event, None)["statusCode"]
    return status


def test_delete_tells_missing_from_already_inactive_from_a_stale_version(make_event: Event) -> None:
    product_id = create(make_event)["productId"]
    assert delete(make_event, product_id, '"2"') == 412
    assert delete(make_event, product_id, '"1"') == 204
    assert delete(make_event, product_id, '"2"', by="sam@example.com") == 204  # already inactive: no write
    # Another caller's stale delete: a mismatch (the same caller's, at the same instant, would be its own retry).
    assert delete(make_event, product_id, '"1"', by="sam@example.com") == 412
    assert delete(make_event, "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f") == 404


def test_restore_with_another_change_is_one_new_version(make_event: Event) -> None:
    product_id = create(make_event)["productId"]
    delete(make_event, product_id)
    body = {"active": True, "period": "yearly"}
    response = update_product.handler(make_event("PUT", body=body, path_parameters=by_id(product_id)), None)
    restored = body_of(response)["product"]
    assert (response["statusCode"], restored["active"], restored["period"], restored["version"]) == (
        200,
        True,
        "yearly",
        3,
    )


def test_cors_headers_echo_an_allowed_origin(make_event: Event) -> None:
    response = list_products.handler(make_event(headers={"Origin": ADMIN_ORIGIN}), None)
    assert response["headers"]["Access-Control-Allow-Origin"] == ADMIN_ORIGIN
    assert "ETag" in response["headers"]["Access-Control-Expose-Headers"]


def test_cors_headers_are_withheld_from_other_origins(make_event: Event) -> None:
    response = list_products.handler(make_event(headers={"Origin": "https://evil.example"}), None)
    assert "Access-Control-Allow-Origin" not in response["headers"]


def test_unexpected_error_is_500_without_internals(
    make_event: Event,
    wired: ProductService,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def explode(query: object) -> None:
        raise RuntimeError("table bbws-products-test exploded")

    monkeypatch.setattr(wired, "list", explode)
    response = list_products.handler(make_event(), None)
    assert response["statusCode"] == 500
    assert "exploded" not in response["body"] and "RuntimeError" not in response["body"]
    logged = capsys.readouterr().out
    assert "Traceback" in logged and "exploded" in logged


def test_one_json_log_line_per_request_without_body_or_auth(
    make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_body = product_body(description="A very secret description")
    event = make_event(
        "POST", body=secret_body, headers={"Authorization": "AWS4-HMAC-SHA256 secret-signature"}
    )
    capsys.readouterr()
    create_product.handler(event, None)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["method"] == "POST" and entry["status"] == 201 and entry["path"] == "/v1.0/products"
    assert entry["requestId"] == event["requestContext"]["requestId"]
    assert isinstance(entry["durationMs"], float) and isinstance(entry["coldStart"], bool)
    assert "secret" not in lines[0]


TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def last_log_entry(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return entry


def test_log_line_carries_the_lambda_request_id_function_name_and_trace_id(
    make_event: Event, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)
    context = SimpleNamespace(aws_request_id="lambda-request-1", function_name="bbws-list-products-dev")
    list_products.handler(make_event(), context)
    entry = last_log_entry(capsys)
    assert (entry["lambdaRequestId"], entry["functionName"], entry["traceId"]) == (
        "lambda-request-1",
        "bbws-list-products-dev",
        "1-5759e988-bd862e3fe1be46a994272793",
    )


def test_log_line_leaves_out_ids_it_was_not_given(
    make_event: Event, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Parent=53995c3f42cd8ad8")
    list_products.handler(make_event(), None)
    assert not {"lambdaRequestId", "functionName", "traceId"} & set(last_log_entry(capsys))


def test_without_an_api_gateway_request_id_the_log_line_and_header_share_one(
    make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    event = make_event()
    del event["requestContext"]["requestId"]
    response = list_products.handler(event, None)
    assert last_log_entry(capsys)["requestId"] == response["headers"]["X-Request-Id"]
