"""`.env.example` documents every setting, and loads as it is."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def documented() -> set[str]:
    keys = set()
    for line in EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            keys.add(line.split("=", 1)[0].strip().lower())
    return keys


def test_every_setting_is_documented():
    assert set(Settings.model_fields) == documented()


def test_example_file_loads_and_picks_the_console():
    s = Settings(_env_file=str(EXAMPLE))
    assert not s.discord_configured and not s.slack_configured
    assert s.discord_guild_ids == [] and s.papers_arxiv_categories[0] == "cs.LG"


def test_secrets_are_hidden_in_repr():
    s = Settings(_env_file=None, discord_token="abc.def.ghi-secret")
    assert "abc.def.ghi-secret" not in repr(s)
