"""Ids inside action ids.

Row ids that arrive inside action ids (`topic:done:<id>`) are checked before they reach
SQL: `str.isdigit()` accepts characters such as '²' that `int()` rejects, and a database
integer holds at most 18 safe digits, so both checks live here.

Action ids can also say which community they belong to. A person in two communities on
one platform (a Discord user in two servers) has one DM channel with the bot, so a button
in a DM cannot tell by where it was pressed which membership it acts for. Buttons in DMs
the bot sends carry their community instead: `checkin:done:2026-03-02:30~<workspace id>`.
The adapter resolves the member from that scope, and the engine refuses a scoped action
whose scope is not the caller's community.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.replies import ACTION_MAX, Reply, Select

ID_DIGITS_MAX = 18


def row_id(text: str) -> int | None:
    """The id written in ASCII digits, or None when it is not a usable row id."""
    if not text or len(text) > ID_DIGITS_MAX or not text.isascii() or not text.isdigit():
        return None
    return int(text)


SCOPE = "~"


def scoped(action: str, workspace_id: str) -> str:
    """`action` marked as belonging to `workspace_id`, unless it would not fit an action id
    (it then stays as it was, and resolves as an unscoped action does)."""
    if not action or SCOPE in action:
        return action
    marked = f"{action}{SCOPE}{workspace_id}"
    return marked if len(marked) <= ACTION_MAX else action


def split_scope(action: str) -> tuple[str, str | None]:
    """The plain action and the workspace it is scoped to (None if unscoped)."""
    plain, mark, workspace = action.rpartition(SCOPE)
    if not mark or not plain or not workspace:
        return action, None
    return plain, workspace


def scope_reply(reply: Reply, workspace_id: str) -> Reply:
    """Every button, select option and form of `reply` scoped to `workspace_id`."""
    buttons = tuple(b if b.url else replace(b, action=scoped(b.action, workspace_id)) for b in reply.buttons)
    select = reply.select
    if select is not None:
        select = Select(
            id=scoped(select.id, workspace_id),
            placeholder=select.placeholder,
            options=tuple(replace(o, action=scoped(o.action, workspace_id)) for o in select.options),
        )
    form = reply.form
    if form is not None:
        form = replace(form, action=scoped(form.action, workspace_id))
    origin = scoped(reply.origin, workspace_id) if reply.origin else reply.origin
    return replace(reply, buttons=buttons, select=select, form=form, origin=origin)
