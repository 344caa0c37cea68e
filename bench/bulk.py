"""Fast bulk inserts for seeding: values go through each column's own SQLAlchemy bind
processor (so they are stored exactly as the ORM would store them), memoised for
repeated values, then straight to the driver's executemany (SQLite) or COPY (asyncpg).

Going through `conn.execute(insert(table), rows)` spends most of its time building
parameters per row; at millions of rows that dominates seeding.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

Processor = Callable[[Any], Any]


class Writer:
    """Turns row dicts into driver tuples for one table and one dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.columns = [c.name for c in table.columns]
        self._procs: list[Processor | None] = []
        # A column a row leaves out gets its model default, as an ORM insert would give it.
        self._defaults: dict[str, Any] = {}
        for col in table.columns:
            proc = col.type._cached_bind_processor(dialect)
            self._procs.append(_memoised(proc) if proc is not None else None)
            if col.default is not None and col.default.is_scalar:
                self._defaults[col.name] = col.default.arg

    def tuples(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        out = []
        names, procs, defaults = self.columns, self._procs, self._defaults
        for row in rows:
            values = [row[n] if n in row else defaults.get(n) for n in names]
            out.append(tuple((p(v) if p is not None else v) for v, p in zip(values, procs, strict=True)))
        return out


def _memoised(proc: Processor) -> Processor:
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = proc(value)
            return result
        except TypeError:  # unhashable (JSON lists and dicts)
            return proc(value)

    return run


class BulkLoader:
    """One connection for a whole seeding run; `await load(table, rows)` per chunk."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._writers: dict[str, Writer] = {}
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None

    async def __aenter__(self) -> BulkLoader:
        url = self.engine.url
        if self.dialect.name == "sqlite":
            self._sqlite = sqlite3.connect(url.database or "", isolation_level=None)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=OFF")
            self._sqlite.execute("PRAGMA cache_size=-200000")
        else:
            import asyncpg

            dsn = make_url(str(url.render_as_string(hide_password=False))).set(drivername="postgresql")
            self._pg = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            await self._pg.close()

    def _writer(self, table: Table) -> Writer:
        w = self._writers.get(table.name)
        if w is None:
            w = self._writers[table.name] = Writer(table, self.dialect)
        return w

    def prepare(self, table: Table, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
        """Driver values for template rows, as lists, to copy with new ids via `load_values`."""
        return [list(t) for t in self._writer(table).tuples(rows)]

    def index(self, table: Table, column: str) -> int:
        return self._writer(table).columns.index(column)

    async def load(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.load_values(table, self._writer(table).tuples(rows))

    async def load_values(self, table: Table, values: Sequence[Sequence[Any]]) -> None:
        if not values:
            return
        w = self._writer(table)
        if self._sqlite is not None:
            marks = ", ".join("?" for _ in w.columns)
            sql = f"INSERT INTO {table.name} ({', '.join(w.columns)}) VALUES ({marks})"
            self._sqlite.execute("BEGIN")
            self._sqlite.executemany(sql, values)
            self._sqlite.execute("COMMIT")
        else:
            await self._pg.copy_records_to_table(table.name, records=values, columns=w.columns)
