"""moto's server for the local Terraform apply, with two gaps in moto filled.

moto splits an UpdateStage patch path such as `/v1.0/products/POST/throttling/rateLimit` at its first
slashes, so per-method settings on a nested resource path (our 50 req/s write throttling) are lost and the
AWS provider cannot read them back. Real API Gateway reads the method and the setting from the end of the
path; this wrapper does the same, then hands every other operation to moto unchanged.

Deleting a key of a versioned bucket disposes of each version's buffer, and a delete marker has none: moto
answers 500, so a force-destroyed state bucket (whose lock files left delete markers) never empties. A delete
marker now has nothing to dispose of. Arguments are moto_server's (`-H 127.0.0.1 -p PORT`).
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Stage
from moto.s3.models import FakeDeleteMarker
from moto.server import main

_moto_apply_operations = Stage.apply_operations


def _apply_operations(self: Stage, patch_operations: list[dict[str, Any]]) -> Stage:
    remaining = []
    for op in patch_operations:
        segments = op["path"].strip("/").split("/")
        # <resource path with slashes>/<METHOD>/<group>/<setting>: more than the four segments moto expects.
        if op["op"] == "replace" and len(segments) > 4 and "variables" not in segments:
            self._patch_method_setting("/".join(segments[:-2]), "/".join(segments[-2:]), op["value"])
        else:
            remaining.append(op)
    return _moto_apply_operations(self, remaining)


def _dispose_nothing(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker holds no data."""


Stage.apply_operations = _apply_operations  # type: ignore[method-assign]
if not hasattr(FakeDeleteMarker, "dispose"):
    FakeDeleteMarker.dispose = _dispose_nothing  # type: ignore[attr-defined]

if __name__ == "__main__":
    main()
