"""/privacy: export everything stored about the member, or delete all of it.

In a community it covers that membership. From a direct message, which every community
of the person on that platform shares, it covers all of their memberships and names them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import column, delete, inspect, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.call import Call
from bot.core.features.papers import handlers as papers
from bot.core.identity import MemberKey
from bot.core.replies import Attachment, Button, Card, Reply
from bot.core.services import memberships
from content.schema import Catalog
from storage import repo
from storage.models import (
    Assessment,
    BuddyPairMember,
    BuddyProfile,
    CheckIn,
    CommunityPaperRead,
    Member,
    MemberMilestone,
    MemberPaper,
    OutboxMessage,
    Pause,
    Plan,
    PlanItem,
    ReviewCardState,
    ReviewLogEntry,
    Schedule,
    StudyTotal,
)

MEMBER_TABLES = (
    Schedule,
    Plan,
    CheckIn,
    Assessment,
    MemberPaper,
    CommunityPaperRead,
    OutboxMessage,
    Pause,
    ReviewCardState,
    ReviewLogEntry,
    StudyTotal,
    MemberMilestone,
    BuddyProfile,
    BuddyPairMember,
)
# What /privacy says about public places: the opt-in is exported, delete takes the member off
# every future board and digest, and digests already posted are not edited.
COMMUNITY_NOTE = (
    " Your leaderboard choice (opt-in) and study totals are included. Deleting takes you off the "
    "leaderboard and out of future digests; weekly digests already posted stay as they were "
    "(you only appear in one if you had opted in)."
)
# What a delete leaves alone: messages already posted in a community's channels.
PUBLIC_POSTS_NOTE = (
    " Milestone announcements already posted in a community channel stay there, since you "
    "had opted in to them; nothing new is posted about you."
)


# Written by slack_sdk's installation store when a member installs the app: the installer's
# user id and user token are about them. Named here as a plain table (the core does not
# import slack_sdk); it exists once the migrations have run.
INSTALLS = table(
    "slack_installations",
    column("id"),
    column("team_id"),
    column("user_id"),
    column("user_token"),
    column("user_scopes"),
    column("user_refresh_token"),
    column("user_token_expires_at"),
    column("installed_at"),
)
INSTALLER_FIELDS = ("user_token", "user_scopes", "user_refresh_token", "user_token_expires_at")


async def _has_installs(session: AsyncSession) -> bool:
    conn = await session.connection()
    return await conn.run_sync(lambda c: inspect(c).has_table("slack_installations"))


def _mask(token: Any) -> Any:
    """Tokens go into the export recognisably but unusably: kind and last four characters."""
    if not isinstance(token, str) or not token:
        return token
    return f"{token.split('-', 1)[0]}-…{token[-4:]}"


async def _installs(session: AsyncSession, key: MemberKey) -> list[dict[str, Any]]:
    if key.platform != "slack" or not await _has_installs(session):
        return []
    stmt = select(INSTALLS).where(INSTALLS.c.team_id == key.workspace_id, INSTALLS.c.user_id == key.user_id)
    out = []
    for row in (await session.execute(stmt)).mappings():
        item = {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}
        item["user_token"] = _mask(item.get("user_token"))
        item["user_refresh_token"] = _mask(item.get("user_refresh_token"))
        out.append(item)
    return out


async def _forget_installer(session: AsyncSession, key: MemberKey) -> None:
    if key.platform != "slack" or not await _has_installs(session):
        return
    await session.execute(
        update(INSTALLS)
        .where(INSTALLS.c.team_id == key.workspace_id, INSTALLS.c.user_id == key.user_id)
        .values(user_id="", **dict.fromkeys(INSTALLER_FIELDS))
    )


def _row(obj: Any) -> dict[str, Any]:
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


async def export_member(
    session: AsyncSession, key: MemberKey, catalog: Catalog | None = None
) -> dict[str, Any] | None:
    """Every row about the member, and nothing about anyone else.

    With the catalogue, paper rows also carry their title, or say the paper was removed.
    """
    member = await repo.find_member(session, key)
    if member is None:
        return None
    data: dict[str, Any] = {"member": _row(member)}
    for model in MEMBER_TABLES:
        stmt = select(model).where(model.member_id == member.id)
        data[model.__tablename__] = [_row(r) for r in (await session.execute(stmt)).scalars()]
    plan_ids = [p["id"] for p in data["plans"]]
    items = (
        (
            await session.execute(
                select(PlanItem).where(PlanItem.plan_id.in_(plan_ids)).order_by(PlanItem.id)
            )
        ).scalars()
        if plan_ids
        else []
    )
    data["plan_items"] = [_row(i) for i in items]
    if catalog is not None:
        data["member_papers"] = papers.annotate_export(catalog, data["member_papers"])
    data["slack_installations"] = await _installs(session, key)
    return data


async def delete_member(session: AsyncSession, key: MemberKey) -> bool:
    member = await repo.find_member(session, key)
    if member is None:
        return False
    plan_ids = select(Plan.id).where(Plan.member_id == member.id)
    await session.execute(delete(PlanItem).where(PlanItem.plan_id.in_(plan_ids)))
    for model in MEMBER_TABLES:
        await session.execute(delete(model).where(model.member_id == member.id))
    await session.execute(delete(Member).where(Member.id == member.id))
    await _forget_installer(session, key)
    return True


async def covered(call: Call) -> list[tuple[MemberKey, str]]:
    """The memberships this call speaks for, with their communities' names: the caller's own in
    a community; every one of the person's on this platform in a DM."""
    if not call.ctx.in_dm:
        return [(call.key, "")]
    found = await memberships.all_of(call.session, call.key.platform, call.key.user_id)
    if not found:
        return [(call.key, "")]
    names = await memberships.labels(call.session, found)
    return [(MemberKey(m.platform, m.workspace_id, m.user_id), names[m.id]) for m in found]


def _which(keys: list[tuple[MemberKey, str]], lead: str = "This covers your data in") -> str:
    """Names the communities when the call covers several (from a DM); empty otherwise."""
    names = [name for _, name in keys if name]
    if not names:
        return ""
    plural = "communities" if len(names) > 1 else "community"
    return f" {lead} {len(names)} {plural}: {', '.join(names)}."


async def privacy_command(call: Call, action: str | None = None) -> Reply:
    if action == "export":
        return await export_action(call, [], {})
    if action == "delete":
        return await delete_ask(call, [], {})
    which = _which(await covered(call))
    return Reply(
        cards=(
            Card(
                title="Your data",
                body="I store your settings, plans, check-ins, quiz answers, paper history, "
                "review cards, milestones, study-buddy opt-in and pairings, and any pending "
                "reminders. You can download all of it, or delete all of it."
                + COMMUNITY_NOTE
                + PUBLIC_POSTS_NOTE
                + which,
            ),
        ),
        buttons=(
            Button("Export my data", "privacy:export", "primary"),
            Button("Delete my data", "privacy:delete:ask", "danger"),
        ),
    )


async def export_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    keys = await covered(call)
    found = []
    for key, name in keys:
        exported = await export_member(call.session, key, call.catalog)
        if exported is not None:
            found.append((name, exported))
    if not found:
        return Reply(cards=(Card(title="Nothing stored", body="I don't have any data about you."),))
    if len(found) == 1:
        data = found[0][1]
    else:
        data = {"memberships": [{"community": name, **d} for name, d in found]}
    data["exported_at"] = call.now().isoformat()
    blob = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    return Reply(
        cards=(
            Card(
                title="Your data export",
                body="Everything I store about you is in the attached JSON file."
                + _which([(k, n) for k, n in keys if any(n == name for name, _ in found)]),
            ),
        ),
        attachment=Attachment("my-study-data.json", blob),
    )


async def delete_ask(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    which = _which(await covered(call))
    return Reply(
        cards=(
            Card(
                title="Delete everything?",
                body="This removes your plans, check-ins, streaks, quiz results, paper history, "
                "review cards, milestones, study-buddy opt-in and pairing history, and reminders. "
                "It cannot be undone." + COMMUNITY_NOTE + PUBLIC_POSTS_NOTE + which,
                tone="danger",
            ),
        ),
        buttons=(
            Button("Yes, delete everything", "privacy:delete:confirm", "danger"),
            Button("Cancel", "privacy:delete:cancel"),
        ),
    )


async def delete_action(call: Call, args: list[str], v: Mapping[str, str]) -> Reply:
    if not args or args[0] == "ask":
        return await delete_ask(call, args, v)
    if args[0] != "confirm":
        return Reply(cards=(Card(title="Nothing deleted", body="Your data is untouched."),))
    keys = await covered(call)
    gone = [(key, name) for key, name in keys if await delete_member(call.session, key)]
    call._member = None
    body = (
        "All your data is gone." + _which(gone, "That was your data in") + " If you use a command again, "
        "I'll start fresh." + PUBLIC_POSTS_NOTE
        if gone
        else "I didn't have any data about you."
    )
    return Reply(cards=(Card(title="Deleted", body=body),))


ACTIONS = {"privacy:export": export_action, "privacy:delete": delete_action}
