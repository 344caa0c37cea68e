"""INSERT ... ON CONFLICT DO NOTHING on both backends: a row whose unique key is taken is left out.

Used wherever "once" is kept by a unique key (outbox keys, check-in sources, milestones, review
cards, buddy rounds), so a race or a replay writes nothing instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_taken(table: Table, dialect: str, unique: Sequence[str]) -> Any:
    """An INSERT into `table` that skips rows whose `unique` columns are already taken."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return insert(table)
