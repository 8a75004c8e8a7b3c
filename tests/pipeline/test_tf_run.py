"""scripts/ci/tf_run.sh: inits run at once take turns (a cold plugin cache filled by two inits at the same time
fails with "failed to create directory ... file exists"); other commands run side by side."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A stand-in for terraform: records when it ran, and lasts long enough for two runs to overlap.
FAKE_TERRAFORM = """#!/usr/bin/env bash
python3 -c 'import time; print(time.monotonic())' >> "$RUNS_FILE.$$"
sleep 0.6
python3 -c 'import time; print(time.monotonic())' >> "$RUNS_FILE.$$"
"""


def spans(tmp_path: Path, commands: list[list[str]]) -> list[tuple[float, float]]:
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(FAKE_TERRAFORM)
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    env["RUNS_FILE"] = str(tmp_path / "runs")
    env["TF_PLUGIN_DIR"] = ""  # no mirror lookup: the stand-in installs nothing

    def run(arguments: list[str]) -> int:
        return subprocess.run(["bash", str(ROOT / "scripts/ci/tf_run.sh"), *arguments], env=env).returncode

    with ThreadPoolExecutor(len(commands)) as pool:
        assert list(pool.map(run, commands)) == [0] * len(commands)
    found = []
    for record in tmp_path.glob("runs.*"):
        start, end = (float(line) for line in record.read_text().split())
        found.append((start, end))
    return sorted(found)


def test_inits_started_together_run_one_after_the_other(tmp_path: Path) -> None:
    (first_start, first_end), (second_start, _) = spans(
        tmp_path, [["-chdir=terraform", "init", "-backend=false"], ["-chdir=terraform/bootstrap", "init"]]
    )
    assert second_start >= first_end, "two inits overlapped"


def test_other_commands_run_side_by_side(tmp_path: Path) -> None:
    (_, first_end), (second_start, _) = spans(
        tmp_path, [["-chdir=terraform", "plan"], ["-chdir=terraform", "plan"]]
    )
    assert second_start < first_end, "two plans took turns"


READS_CONFIG = """#!/usr/bin/env bash
sleep 0.6
cat "$TF_CLI_CONFIG_FILE" > "$RUNS_FILE.$$"
"""


def test_a_run_with_other_settings_never_changes_the_config_a_waiting_init_reads(tmp_path: Path) -> None:
    """An init waiting for the lock reads its CLI config after the wait: a run without the mirror in between
    (this file's own tests, in make test's Python lane, beside the applies) must not take the mirror from it.
    """
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(READS_CONFIG)
    fake.chmod(0o755)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    base = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}

    def run(plugin_dir: str, runs: str) -> int:
        env = {**base, "TF_PLUGIN_DIR": plugin_dir, "RUNS_FILE": str(tmp_path / runs)}
        command = ["bash", str(ROOT / "scripts/ci/tf_run.sh"), "-chdir=terraform", "init", "-backend=false"]
        return subprocess.run(command, env=env).returncode

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run, str(mirror), "with-mirror")
        second = pool.submit(run, "", "without-mirror")
        assert (first.result(), second.result()) == (0, 0)
    (with_mirror,) = tmp_path.glob("with-mirror.*")
    (without_mirror,) = tmp_path.glob("without-mirror.*")
    assert f'path = "{mirror}"' in with_mirror.read_text()
    assert "filesystem_mirror" not in without_mirror.read_text()
