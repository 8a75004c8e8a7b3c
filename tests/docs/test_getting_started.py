"""What the README promises a newcomer before the first request: a taken port is one line, and `PYTHON=` is
never silently ignored."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_one_line_without_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "scripts.local_server", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": "src", "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "PORT=" in result.stderr, result.stderr


def _make(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value for name, value in os.environ.items() if name not in ("PYTHON", "MAKEFLAGS", "MAKELEVEL")
    }
    return subprocess.run(
        ["make", "--no-print-directory", "-n", *arguments, "clean"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _venv_made_with(folder: Path, interpreter: str) -> Path:
    shutil.copy(ROOT / "Makefile", folder / "Makefile")
    venv = folder / ".venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text(f"home = /elsewhere\nexecutable = {interpreter}\n", encoding="utf-8")
    return venv


def test_python_naming_another_interpreter_makes_the_venv_again(tmp_path: Path) -> None:
    venv = _venv_made_with(tmp_path, "/elsewhere/python3.12")
    result = _make(tmp_path, f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "making .venv again" in result.stdout, result.stdout
    assert not venv.exists(), "the venv of another interpreter was kept"


def test_python_naming_the_venvs_interpreter_keeps_the_venv(tmp_path: Path) -> None:
    venv = _venv_made_with(tmp_path, os.path.realpath(sys.executable))
    result = _make(tmp_path, f"PYTHON={sys.executable}")
    assert result.returncode == 0 and "making .venv again" not in result.stdout, result.stdout + result.stderr
    assert venv.exists()


def test_without_python_the_existing_venv_is_kept(tmp_path: Path) -> None:
    venv = _venv_made_with(tmp_path, "/elsewhere/python3.12")
    result = _make(tmp_path)
    assert result.returncode == 0, result.stderr
    assert venv.exists()


def test_python_that_does_not_run_stops_with_a_message(tmp_path: Path) -> None:
    venv = _venv_made_with(tmp_path, "/elsewhere/python3.12")
    result = _make(tmp_path, "PYTHON=/no/such/python3.12")
    assert (
        result.returncode != 0 and "PYTHON=/no/such/python3.12 does not run" in result.stderr
    ), result.stderr
    assert venv.exists(), "a typo in PYTHON must not remove the venv"


def test_the_walk_through_waits_for_an_answer_before_its_first_request() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    walk = readme.split("### Try it with curl", 1)[1].split("\n### ", 1)[0]
    commands = [line for block in walk.split("```bash\n")[1:] for line in block.split("```")[0].splitlines()]
    started = next(i for i, line in enumerate(commands) if line.startswith("make run") and line.endswith("&"))
    loop = next(i for i, line in enumerate(commands) if line.startswith("for ") and "seq" in line)
    first_request = next(i for i, line in enumerate(commands) if line.startswith("curl "))
    waiting = "\n".join(commands[loop:first_request])
    assert started < loop < first_request, "the server starts, then the loop waits, then the first request"
    assert "&& break" in waiting and "sleep" in waiting and "kill -0 $!" in waiting, waiting
