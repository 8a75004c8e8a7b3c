"""A small HTTP client for the API: signs writes with SigV4 like an IAM caller of API Gateway, and checks every
response it receives against openapi.yaml."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openapi_contract import validate_response
from samples import to_json

WRITE_METHODS = ("POST", "PUT", "DELETE")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


class ApiClient:
    """Requests against one base URL; each call opens its own connection, so threads may share a client."""

    def __init__(
        self, base_url: str, access_key: str = "integration-tester", region: str = "eu-west-1"
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = Credentials(access_key, "not-a-secret")
        self._region = region

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
    ) -> Response:
        data = raw if raw is not None else (to_json(body).encode() if body is not None else b"")
        all_headers = (
            {"Content-Type": "application/json", **(headers or {})}
            if data or method in ("POST", "PUT")
            else dict(headers or {})
        )
        url = self.base_url + path
        if sign and method in WRITE_METHODS:
            signed = AWSRequest(method=method, url=url, data=data, headers=all_headers)
            SigV4Auth(self._credentials, "execute-api", self._region).add_auth(signed)
            all_headers = dict(signed.headers.items())
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        try:
            connection.request(method, path, body=data or None, headers=all_headers)
            answer = connection.getresponse()
            response = Response(answer.status, dict(answer.getheaders()), answer.read())
        finally:
            connection.close()
        validate_response(method, path, response.status, response.headers, response.body)
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)


class HttpxSigV4(httpx.Auth):
    """SigV4 for httpx clients (the generated client): signs method, URL, body and Content-Type as API Gateway's
    AWS_IAM authorization checks them (service execute-api)."""

    requires_request_body = True

    def __init__(self, access_key: str = "integration-tester", region: str = "eu-west-1") -> None:
        self._credentials = Credentials(access_key, "not-a-secret")
        self._region = region

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if request.method in WRITE_METHODS:
            content_type = request.headers.get("Content-Type")
            signed = AWSRequest(
                method=request.method,
                url=str(request.url),
                data=request.content,
                headers={"Content-Type": content_type} if content_type else {},
            )
            SigV4Auth(self._credentials, "execute-api", self._region).add_auth(signed)
            request.headers.update(dict(signed.headers.items()))
        else:  # reads are public: no placeholder token of the generated AuthenticatedClient goes out
            request.headers.pop("Authorization", None)
        yield request
