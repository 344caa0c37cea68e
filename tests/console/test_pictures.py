"""The console writes each picture as a PNG under its images folder and prints the path."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.adapters.console.session import ConsoleSession
from bot.core.identity import MemberKey
from tests.console.test_console import run_cli


async def test_progress_writes_pngs_and_prints_their_paths(app, tmp_path):
    out = io.StringIO()
    session = ConsoleSession(app.engine, MemberKey("console", "local", "me"), out=out)
    session.images_dir = tmp_path / "images"
    await session.handle("/checkin 30 read")
    await session.handle("/progress")
    await session.handle("/progress")  # the same picture again: one file
    printed = re.findall(r"\[image\] (\S+)", out.getvalue())
    assert len(printed) == 2 and printed[0] == printed[1]
    assert "Study heatmap from" in out.getvalue()  # the alt text, for a terminal without a viewer
    _check_files(Path(printed[0]), tmp_path / "images")


def _check_files(path: Path, folder: Path) -> None:
    assert path.parent == folder and path.name.startswith("study-heatmap-")
    assert path.read_bytes().startswith(b"\x89PNG")
    assert len(list(folder.iterdir())) == 1


def test_the_cli_uses_the_images_folder_setting(tmp_path):
    folder = tmp_path / "pics"
    lines = "/checkin 20 x\n/progress\n"
    result = run_cli(["run", "console"], tmp_path / "c.db", stdin=lines, CONSOLE_IMAGES_DIR=str(folder))
    assert result.returncode == 0, result.stderr
    assert f"[image] {folder}" in result.stdout
    assert [p.suffix for p in folder.iterdir()] == [".png"]
