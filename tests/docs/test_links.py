"""The repository's Markdown links only inside the repository, to files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "CLAUDE.md", *(ROOT / "docs").glob("*.md")])
# [text](target) with an optional "title"; images too.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_markdown_links_resolve_to_files_in_the_repository(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
            broken.append(f"{target}: points outside the repository")
        elif path:
            resolved = (document.parent / path).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{target}: no such file in the repository")
    assert not broken, f"{document.relative_to(ROOT)}: {broken}"
