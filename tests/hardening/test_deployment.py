"""Deployment defaults: the ops endpoint stays on this host, compose needs a database
password and keeps /metrics unpublished, and `db copy` can take its target from the
environment."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.ops.health import start_health_server

ROOT = Path(__file__).resolve().parents[2]


async def test_the_ops_endpoint_listens_on_localhost_by_default(app) -> None:
    assert Settings(_env_file=None).health_host == "127.0.0.1"
    server = await start_health_server(app, 0)
    try:
        assert server.host == "127.0.0.1"
    finally:
        await server.stop()


def test_compose_requires_a_password_and_does_not_publish_metrics() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert ":-companion}" not in compose and "${POSTGRES_PASSWORD:?" in compose
    assert '"8080:8080"' not in compose and "- 8080" not in compose


def test_db_copy_takes_the_target_from_the_environment(monkeypatch, tmp_path, capsys) -> None:
    from bot import cli
    from bot.config import get_settings

    seen: dict[str, str] = {}

    async def fake_copy(settings, source, target, community):  # type: ignore[no-untyped-def]
        seen["target"] = target
        return 0

    monkeypatch.setattr(cli, "_db_copy", fake_copy)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/a.db")
    monkeypatch.delenv("DB_COPY_TO", raising=False)
    get_settings.cache_clear()
    assert cli.main(["db", "copy"]) == 2
    assert "DB_COPY_TO" in capsys.readouterr().err
    monkeypatch.setenv("DB_COPY_TO", "postgresql+asyncpg://u:secret@db/x")
    get_settings.cache_clear()
    try:
        assert cli.main(["db", "copy"]) == 0
    finally:
        get_settings.cache_clear()
    assert seen["target"] == "postgresql+asyncpg://u:secret@db/x"
