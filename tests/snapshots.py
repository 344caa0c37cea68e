"""Whole-database snapshots, to prove that a refused command changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Base


async def snapshot(sessions) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
