"""`python -m bot members unblock`: members whose DMs were switched off by a delivery error.

Without `--reason` it lists them, counted by reason, and changes nothing. With
`--reason TEXT` it turns back on every member whose reason starts with TEXT: the block
is lifted, and the streams the error switched off are on again with their next due
time computed from now (a reassessment reminder is scheduled at the next start).
Streams the member turned off themselves stay off.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.core.domain import schedule
from bot.runtime import App
from storage.models import Member, Schedule

DELIVERY_PREFIX = "DM failed:"


@dataclass
class UnblockReport:
    by_reason: Counter[str] = field(default_factory=Counter)
    unblocked: list[str] = field(default_factory=list)
    streams: int = 0

    def lines(self, reason: str | None) -> list[str]:
        if not self.by_reason:
            return ["no member is switched off by a delivery error"]
        out = [f"{n:>6}  {r}" for r, n in sorted(self.by_reason.items(), key=lambda kv: (-kv[1], kv[0]))]
        if reason is None:
            out.append("run again with --reason TEXT to turn back on the members whose reason starts with it")
        elif not self.unblocked:
            out.append(f"no member's reason starts with {reason!r}; nothing changed")
        else:
            out += [f"turned back on: {m}" for m in self.unblocked]
            out.append(f"{len(self.unblocked)} member(s), {self.streams} stream(s) back on")
        return out


async def unblock(app: App, reason: str | None) -> UnblockReport:
    report = UnblockReport()
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        blocked = list(
            (await session.execute(select(Member).where(Member.dm_blocked_reason.is_not(None)))).scalars()
        )
        for member in blocked:
            report.by_reason[member.dm_blocked_reason or ""] += 1
        if reason is None or not reason.strip():
            return report
        chosen = [m for m in blocked if (m.dm_blocked_reason or "").startswith(reason)]
        for member in chosen:
            member.dm_blocked_reason = None
            member.dm_blocked_notice = False
            streams = (
                await session.execute(
                    select(Schedule).where(
                        Schedule.member_id == member.id,
                        Schedule.enabled.is_(False),
                        Schedule.disabled_reason.startswith(DELIVERY_PREFIX, autoescape=True),
                    )
                )
            ).scalars()
            for row in streams:
                row.enabled = True
                row.disabled_reason = None
                row.updated_at = now
                row.next_due_at = (
                    None if row.stream == "reassess" else schedule.next_due(member, row.stream, now, None)
                )
                report.streams += 1
            report.unblocked.append(f"{member.platform}:{member.workspace_id}:{member.user_id}")
    return report
