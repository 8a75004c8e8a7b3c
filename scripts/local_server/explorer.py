"""The local server's API explorer: /openapi.yaml and Swagger UI at /docs, served offline.

Swagger UI's files come from the swagger-ui-bundle package (requirements-local.txt), never from a CDN. The
document served is openapi.yaml with this server listed first, so "Try it out" calls the local server.
Local only: API Gateway in AWS serves neither path.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_PATH = ROOT / "openapi.yaml"
# The Swagger UI files the page loads; nothing else under /docs/ is served.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
# validatorUrl: null keeps Swagger UI from calling its public validator; the page must work offline.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>BBWS Product API explorer (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.yaml",
      dom_id: "#swagger-ui",
      deepLinking: true,
      docExpansion: "list",
      validatorUrl: null,
    });
  </script>
</body>
</html>
"""

Answer = tuple[int, dict[str, str], bytes]


def _swagger_ui_dir() -> Path:
    # Imported on first use: the Lambda-shaped part of the server never needs it.
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def openapi_document(base_url: str) -> bytes:
    """openapi.yaml with `base_url` as its first server."""
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    local = f"servers:\n  - url: {base_url}\n    description: This local server (make run)\n"
    return text.replace("servers:\n", local, 1).encode("utf-8")


def explorer_answer(method: str, path: str, base_url: str) -> Answer | None:
    """The answer to a GET of /docs, its assets or /openapi.yaml; None for every other request."""
    if method != "GET":
        return None
    if path == "/openapi.yaml":
        return 200, {"Content-Type": "application/yaml; charset=utf-8"}, openapi_document(base_url)
    if path in ("/docs", "/docs/"):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.encode("utf-8")
    name = path.removeprefix("/docs/")
    if path.startswith("/docs/") and name in ASSETS:
        return 200, {"Content-Type": ASSETS[name]}, (_swagger_ui_dir() / name).read_bytes()
    return None
