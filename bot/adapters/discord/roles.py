"""Why Discord refused a role grant. Discord answers 403 with code 50013 (Missing Permissions)
both when the bot lacks Manage Roles and when the role sits at or above the bot's highest
role; the bot's own roles and the guild's role list tell the two apart."""

from __future__ import annotations

from typing import Any

MISSING_PERMISSIONS = 50013
MANAGE_ROLES = 1 << 28
ADMINISTRATOR = 1 << 3


def diagnose(guild_id: str, bot_role_ids: list[str], roles: list[dict[str, Any]], role_id: str) -> str:
    """`missing_manage_roles`, `role_above_bot`, or `forbidden` when neither explains it."""
    by_id = {str(r["id"]): r for r in roles}
    mine = [by_id[r] for r in bot_role_ids if r in by_id]
    everyone = by_id.get(str(guild_id))
    if everyone is not None:
        mine.append(everyone)
    perms = 0
    for r in mine:
        perms |= int(r.get("permissions") or 0)
    if not perms & (MANAGE_ROLES | ADMINISTRATOR):
        return "missing_manage_roles"
    top = max((int(r.get("position") or 0) for r in mine), default=0)
    target = by_id.get(str(role_id))
    if target is not None and int(target.get("position") or 0) >= top:
        return "role_above_bot"
    return "forbidden"
