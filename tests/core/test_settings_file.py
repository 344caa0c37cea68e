"""`.env.example` documents every setting, and loads as it is."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings

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


def test_tokens_are_redacted_by_shape_even_when_not_configured():
    import io
    import logging

    from bot.logs import setup_logging

    stream = io.StringIO()
    setup_logging(Settings(_env_file=None), stream=stream)
    slack = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
    discord_like = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
    logging.getLogger("test").warning("installed with %s and %s", slack, discord_like)
    out = stream.getvalue()
    assert slack not in out and discord_like not in out
    assert out.count("[redacted]") == 2
