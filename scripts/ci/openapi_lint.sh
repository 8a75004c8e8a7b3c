#!/usr/bin/env bash
# Check openapi.yaml with one of the Node tools pinned in tools/openapi-lint (package-lock.json):
#
#   scripts/ci/openapi_lint.sh redocly    # Redocly CLI, recommended rules (tools/openapi-lint/redocly.yaml)
#   scripts/ci/openapi_lint.sh spectral   # Spectral, spectral:oas (tools/openapi-lint/.spectral.yaml)
#   scripts/ci/openapi_lint.sh ajv        # AJV accepts real prices against the document's Price schema
#
# Any problem, warnings included, fails. Under `make test` it records its count in CI's summary: one passed
# check when clean, else one failed check per problem. `npm ci` installs the locked versions on first use.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TOOLS="$ROOT/tools/openapi-lint"
VENV_BIN="${VENV_BIN:-$ROOT/.venv/bin}"
tool="${1:?usage: openapi_lint.sh redocly|spectral|ajv}"

if [[ ! -f "$TOOLS/node_modules/.package-lock.json" || "$TOOLS/package-lock.json" -nt "$TOOLS/node_modules/.package-lock.json" ]]; then
    echo "==> npm ci in tools/openapi-lint (the locked versions)"
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$TOOLS"
case "$tool" in
    redocly)
        node_modules/.bin/redocly lint "$ROOT/openapi.yaml" --config redocly.yaml --format=stylish || true
        # Exits non-zero on problems: they are counted from its report instead.
        problems="$({ node_modules/.bin/redocly lint "$ROOT/openapi.yaml" --config redocly.yaml --format=json 2>/dev/null || true; } \
            | python3 -c 'import json, sys; t = json.load(sys.stdin)["totals"]; print(t["errors"] + t["warnings"])')"
        ;;
    spectral)
        node_modules/.bin/spectral lint "$ROOT/openapi.yaml" --ruleset .spectral.yaml --fail-severity=hint || true
        problems="$({ node_modules/.bin/spectral lint "$ROOT/openapi.yaml" --ruleset .spectral.yaml --format=json \
            --fail-severity=hint --quiet 2>/dev/null || true; } | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
        ;;
    ajv)
        # The prices python-jsonschema refused under `multipleOf: 0.01`, and what the bounds must still refuse.
        problems="$("$VENV_BIN/python" -c 'import json, yaml; print(json.dumps(yaml.safe_load(open("'"$ROOT"'/openapi.yaml"))["components"]["schemas"]["Price"]))' \
            | node --input-type=module -e '
import Ajv from "ajv";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const validate = new Ajv({ strict: false }).compile(JSON.parse(text));
const cases = [[19.99, true], [0.07, true], [0.29, true], [1.15, true], [999999.99, true], [0, false], [1000000, false]];
const wrong = cases.filter(([price, valid]) => validate(price) !== valid);
for (const [price, valid] of wrong) console.error(`AJV ${valid ? "refuses" : "accepts"} ${price}`);
console.log(wrong.length);')"
        ;;
    *)
        echo "unknown tool: $tool (redocly, spectral or ajv)" >&2
        exit 2
        ;;
esac

echo "==> $tool: $problems problem(s)"
if [[ -n "${CI_SUMMARY:-}" ]]; then
    if [[ "$problems" -eq 0 ]]; then
        python3 "$HERE/ci_summary.py" record "openapi-$tool" 1 0
    else
        python3 "$HERE/ci_summary.py" record "openapi-$tool" 0 "$problems"
    fi
fi
[[ "$problems" -eq 0 ]]
