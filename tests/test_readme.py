"""The README's commands work as printed for a newcomer: after the first set-up line, nothing is
on PATH but what `.venv/bin` holds."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_command_after_the_set_up_runs_from_the_venv() -> None:
    lines = _shell_lines()
    assert lines[0].startswith("python3 -m venv .venv") and lines[1].startswith("python3 -m venv")
    bare = [
        line
        for line in lines[2:]
        if not line.startswith("#")
        and re.match(r"^(lifecycle|python|pip|pytest)\b", line)
    ]
    assert bare == [], f"commands that need an activated venv: {bare}"
    assert any(line.startswith(".venv/bin/lifecycle import hubspot") for line in lines)
