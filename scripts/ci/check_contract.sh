#!/usr/bin/env bash
# Check the running API against openapi.yaml: start the local server on a free port, fuzz it with
# schemathesis (every check, positive and negative data, stateful links), then run the post-deployment
# validation against it.
#
#   scripts/ci/check_contract.sh            # from any directory
#   MAX_EXAMPLES=50 scripts/ci/check_contract.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_BIN="${VENV_BIN:-$ROOT/.venv/bin}"
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
# CI replays one fixed seed so a landing never hinges on luck; elsewhere each run explores new cases.
if [[ "${CI:-}" == "true" ]]; then SEED="${SCHEMATHESIS_SEED:-20261125}"; else SEED="${SCHEMATHESIS_SEED:-$RANDOM}"; fi
WORK="$(mktemp -d)"
SERVER_LOG="$WORK/local_api.log"
# The fuzzing report (JSON run report and JUnit) lands here; CI keeps it as an artifact.
REPORTS="$ROOT/build/reports"
fuzz_status=0
validation_status=0
cd "$ROOT"
mkdir -p "$REPORTS"
# The local server and the schemathesis hooks import the handlers (src/) and the scripts package.
export PYTHONPATH="$ROOT/src:$ROOT"

# Locally the server only checks that writes carry a SigV4 header, so dummy credentials do.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-eu-west-1}"
unset AWS_SESSION_TOKEN AWS_PROFILE DYNAMODB_ENDPOINT_URL

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "==> stopping the local API (pid $SERVER_PID)"
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap stop_server EXIT

echo "==> validating openapi.yaml"
"$VENV_BIN/openapi-spec-validator" openapi.yaml

echo "==> starting the local API on a free port (embedded DynamoDB, empty table)"
"$VENV_BIN/python" -m scripts.local_server --port 0 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE_URL=""
for _ in $(seq 1 100); do
    BASE_URL="$(sed -n 's|^Product API on \(http://[^/]*\)/v1\.0/products.*|\1|p' "$SERVER_LOG")"
    [[ -n "$BASE_URL" ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the local API exited early:" >&2
        cat "$SERVER_LOG" >&2
        exit 1
    fi
    sleep 0.2
done
if [[ -z "$BASE_URL" ]]; then
    echo "the local API did not start within 20 s:" >&2
    cat "$SERVER_LOG" >&2
    exit 1
fi
echo "    serving on $BASE_URL"

echo "==> schemathesis: all checks, positive and negative data," \
    "at most $MAX_EXAMPLES examples per operation and phase, seed $SEED"
# OPTIONS (CORS preflight) is left out: API Gateway answers it without looking at the product, so the
# checks that a deleted product is gone from every operation cannot hold for it.
SCHEMATHESIS_HOOKS="$ROOT/tests/contract/hooks.py" "$VENV_BIN/st" \
    --config-file tests/contract/schemathesis.toml \
    run openapi.yaml \
    --url "$BASE_URL" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --exclude-method OPTIONS \
    --generation-database none \
    --no-color \
    --report json,junit \
    --report-json-path "$REPORTS/schemathesis.json" \
    --report-junit-path "$REPORTS/schemathesis-junit.xml" || fuzz_status=$?
# Every generated case counts in CI's summary line (scripts/ci/ci_summary.py), pass or fail.
[[ -n "${CI_SUMMARY:-}" ]] && python3 scripts/ci/ci_summary.py schemathesis contract-fuzz-cases "$REPORTS/schemathesis.json"
[[ ${fuzz_status} -eq 0 ]] || exit "${fuzz_status}"

echo "==> post-deployment validation against the local API"
"$VENV_BIN/python" scripts/ops/validate_deployment.py --base-url "$BASE_URL" | tee "$WORK/validation.log" || validation_status=$?
[[ -n "${CI_SUMMARY:-}" ]] && python3 scripts/ci/ci_summary.py validation post-deployment-validation "$WORK/validation.log"
[[ ${validation_status} -eq 0 ]] || exit "${validation_status}"

echo "==> contract checks passed"
