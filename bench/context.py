"""What every benchmark gets: its sizes, a scratch folder, the catalogue and the database to use."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.stats import Figure
from storage.migrate import upgrade

PG_ENVS = ("BENCH_POSTGRES_URL", "TEST_POSTGRES_URL")


@dataclass(frozen=True)
class Sizes:
    name: str
    core_members: int
    core_calls: int
    repeats: int
    interactions: int
    slack_burst: int
    sched_members: int
    worst_minute: int
    dispatch_dms: int
    memory_members: tuple[int, ...]
    baseline_members: int
    day_budget: float
    load_members: int = 2_000
    review_members: int = 10_000
    review_samples: int = 300
    community_members: int = 10_000
    buddy_members: int = 10_000


PROFILES = {
    "smoke": Sizes(
        "smoke",
        60,
        3,
        1,
        3,
        4,
        200,
        10,
        6,
        (100,),
        20,
        0.5,
        load_members=400,
        review_members=20,
        review_samples=10,
    ),
    "tiny": Sizes(
        "tiny",
        300,
        15,
        2,
        10,
        20,
        1500,
        50,
        40,
        (2000,),
        200,
        1.0,
        load_members=1_500,
        review_members=200,
        review_samples=50,
    ),
    "quick": Sizes(
        "quick", 10_000, 50, 2, 50, 50, 20_000, 20_000, 200, (10_000, 50_000), 2_000, 5.0, load_members=20_000
    ),
    "full": Sizes(
        "full",
        100_000,
        1000,
        3,
        1000,
        1000,
        1_000_000,
        100_000,
        10_000,
        (100_000, 1_000_000),
        100_000,
        600.0,
        load_members=100_000,
        review_members=100_000,
        review_samples=2_000,
    ),
}

# Members of the one big community in bench/community.py.
for _name, _members in (("smoke", 500), ("tiny", 2_000), ("quick", 20_000), ("full", 100_000)):
    PROFILES[_name] = replace(PROFILES[_name], community_members=_members)
# Opted-in members matched by bench/buddies.py.
for _name, _members in (("smoke", 200), ("tiny", 1_000)):
    PROFILES[_name] = replace(PROFILES[_name], buddy_members=_members)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def postgres_base() -> str | None:
    for name in PG_ENVS:
        if os.environ.get(name):
            return os.environ[name]
    return None


@dataclass
class Bench:
    sizes: Sizes
    workdir: Path
    catalog: Any
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    postgres: bool = True

    def add(self, fig: Figure) -> Figure:
        fig.size = fig.size or self.sizes.name
        self.figures.append(fig)
        return fig

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def backends(self) -> list[str]:
        return ["sqlite", "postgres"] if self.postgres and postgres_base() else ["sqlite"]

    @asynccontextmanager
    async def database(self, kind: str, label: str) -> AsyncIterator[str]:
        """A migrated, empty database that is removed afterwards (a file, or a throwaway PG database)."""
        if kind == "sqlite":
            path = self.workdir / f"{label}-{uuid.uuid4().hex[:6]}.db"
            url = f"sqlite+aiosqlite:///{path}"
            await upgrade(url)
            try:
                yield url
            finally:
                _remove_sqlite(path)
            return
        import asyncpg

        base = postgres_base()
        assert base
        name = f"bench_{uuid.uuid4().hex[:10]}"
        dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        try:
            await upgrade(url)
            yield url
        finally:
            admin = await asyncpg.connect(dsn)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
