"""The cold-start bench's probes: each function's success path runs against the in-process DynamoDB answers."""

from __future__ import annotations

import pytest

from scripts.function_manifest import load_functions
from scripts.perf import cold_start

FUNCTIONS = load_functions()


@pytest.mark.parametrize(
    "name",
    [next(f.name for f in FUNCTIONS.values() if f.uses_dependencies == layer) for layer in (False, True)],
)
def test_a_probe_answers_its_function_from_the_stub_without_a_server(name: str) -> None:
    imports = cold_start.FUNCTION_IMPORTS.format(src=str(cold_start.ROOT / "src"), name=name)
    code = cold_start.probe_code(
        imports, cold_start.FUNCTION_FIRST.format(event=cold_start.function_event(name))
    )
    # The probe asserts a 2xx answer itself: a failure here is its stderr.
    assert set(cold_start.run_probe(name, code)) == {"import", "first", "cpu"}


def test_the_bar_is_the_specs_for_reads_and_for_writes() -> None:
    bars = {name: cold_start.bar(name) for name in FUNCTIONS}
    assert bars == {f.name: 1.15 if f.uses_dependencies else 1.05 for f in FUNCTIONS.values()}
