"""What reading the page-token key from Secrets Manager costs the list function (docs/PERFORMANCE.md).

    PYTHONPATH=src python -m scripts.perf.secret_cost [--runs 15]

Fresh interpreters, taken in turns, each importing the list handler and answering its first request (a page
of one product, with a nextToken sealed with the key) and the next page (that nextToken, opened with the key): once with a fixed key in the
environment (the local server's way) and once told only the secret's ARN (AWS's way: the key is read on the
first request). AWS is stubbed at botocore's endpoint (DynamoDB's Scan and Query, Secrets Manager's
GetSecretValue answer at once), so the difference is our cost, not the network's: the lazy import, the second
client, signing and parsing one call. Prints the markdown section `make bench` also writes into
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from repositories.items import to_item
from scripts.perf.cold_start import PRODUCT, stub_code

ROOT = Path(__file__).resolve().parents[2]
# Two products, so a page of one has a nextToken; the key's read answered as Secrets Manager would.
_SECOND = replace(PRODUCT, product_id="4f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f")
_PAGE = {"Items": [to_item(PRODUCT), to_item(_SECOND)], "Count": 2, "ScannedCount": 2}
ANSWERS = {
    "Scan": _PAGE,
    "Query": _PAGE,
    "GetSecretValue": {
        "ARN": "arn",
        "Name": "bbws-page-token-key-bench",
        "VersionId": "v1",
        "SecretString": "k" * 64,
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": 1.0,
    },
}

PROBE = """
import json, sys, time
started = time.perf_counter()
{stub}
sys.path.insert(0, {src!r})
import handlers.list_products as module
imported = time.perf_counter()
event = {{"resource": "/v1.0/products", "path": "/v1.0/products", "httpMethod": "GET", "headers": {{}},
    "multiValueHeaders": {{}}, "queryStringParameters": {{"limit": "1"}},
    "multiValueQueryStringParameters": {{"limit": ["1"]}}, "pathParameters": None,
    "requestContext": {{"requestId": "secret-cost-probe", "identity": {{}}}}, "body": None, "isBase64Encoded": False}}
first = module.handler(event, None)
answered = time.perf_counter()
token = json.loads(first["body"])["nextToken"]
paged = dict(event, queryStringParameters={{"limit": "1", "nextToken": token}},
    multiValueQueryStringParameters={{"limit": ["1"], "nextToken": [token]}})
second = module.handler(paged, None)
done = time.perf_counter()
assert first["statusCode"] == 200 and second["statusCode"] == 200, (first, second)
print(json.dumps({{"import": imported - started, "first": answered - imported, "second": done - answered}}))
"""

VARIANTS = {
    "fixed key in the environment (local server)": {
        "PAGE_TOKEN_SECRET": "bench-page-token-secret-of-32-characters-or-more"
    },
    "key read from Secrets Manager (AWS)": {
        "PAGE_TOKEN_KEY_SECRET_ID": "arn:aws:secretsmanager:eu-west-1:000000000000:secret:bbws-page-token-key-bench"
    },
}


def probe(variables: dict[str, str]) -> dict[str, float]:
    environ = {
        key: value for key, value in os.environ.items() if not key.startswith(("PAGE_TOKEN", "AWS_ENDPOINT"))
    }
    environ |= {"TABLE_NAME": "bbws-products-bench", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench"}
    environ |= {"AWS_SECRET_ACCESS_KEY": "bench", "LOG_LEVEL": "WARNING", "ALLOWED_ORIGINS": "*", **variables}
    code = PROBE.format(src=str(ROOT / "src"), stub=stub_code(ANSWERS))
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, env=environ, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings


def section(runs: int) -> list[str]:
    """docs/PERFORMANCE.md's section on the key's read: a table of medians and the difference."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, variables in VARIANTS.items():
            samples[name].append(probe(variables))

    def ms(name: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[name]) * 1000

    fixed, read = VARIANTS
    return [
        "## Page-token key from Secrets Manager",
        "",
        "The list function reads its key on its first request (`src/repositories/page_token_key.py`) and keeps it",
        "for the container's life. `scripts/perf/secret_cost.py`: fresh interpreters in turns, AWS stubbed at",
        "botocore's endpoint (so the network round trip of GetSecretValue, in AWS one call in the region, is not",
        "in these figures); the first request returns a page and a nextToken sealed with the key, the second asks",
        "for the next page with it.",
        "",
        f"| list function, median of {runs} fresh interpreters | import ms | first request ms | next page ms |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {ms(name, 'import'):.1f} | {ms(name, 'first'):.1f} | {ms(name, 'second'):.1f} |"
            for name in VARIANTS
        ),
        "",
        f"Reading the key adds {ms(read, 'first') - ms(fixed, 'first'):.0f} ms to the container's first request, once:",
        "the Secrets Manager code is imported and its client (with its service model) made then, plus one",
        "GetSecretValue round trip in AWS (not measured here). Later requests do not read the key again; the objects",
        "that client leaves are frozen out of the garbage collector (`gc.freeze()`), without which a full collection",
        "of about 80 ms here fell on the second request.",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    print("\n".join(section(parser.parse_args().runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
