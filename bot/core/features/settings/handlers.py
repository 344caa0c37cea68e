"""/settings: time zone, check-in time and days, hours, reminders, pause, quiet hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from bot.core import timezones
from bot.core.call import Call
from bot.core.community import visibility as community_visibility
from bot.core.display import day, day_time, hours
from bot.core.domain.schedule import WEEKDAYS
from bot.core.errors import UserError
from bot.core.features.review import handlers as review
from bot.core.replies import Button, Card, Field, Form, FormField, Reply
from bot.core.services import due_times, memberships, pauses, plan_weeks
from storage import repo
from storage.models import Member

STREAM_NAMES = {
    "checkin": "Daily check-in",
    "nudge": "Weekly nudge",
    "paper": "Weekly paper",
    "reassess": "Reassessment reminder",
}
DM_FAILED = "DM failed"
RESUME_LABEL = "Turn my reminders back on"
_DM_PROBLEMS = (
    (("dm_closed", "cannot_dm", "50007"), "your direct messages are closed to me"),
    (
        ("unknown_user", "user_not_found", "account_inactive", "user_disabled", "10013"),
        "I couldn't find your account",
    ),
    (("not installed", "token_revoked", "invalid_auth"), "I'm not installed here any more"),
)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def dm_problem(reason: str | None) -> str:
    """What a delivery failure means, in words a member can act on (never the raw error)."""
    lowered = (reason or "").lower()
    for needles, sentence in _DM_PROBLEMS:
        if any(n in lowered for n in needles):
            return sentence
    return "my messages to you were refused"


def parse_time(text: str, what: str = "time") -> str:
    m = _HHMM.match(text.strip())
    if not m:
        raise UserError(f"{text[:20]!r} isn't a valid {what}.", hint="Use 24-hour HH:MM, e.g. 07:30")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_days(text: str) -> str:
    t = text.strip().lower()
    if t in ("daily", "every day", "everyday", "all"):
        return "0123456"
    if t in ("weekdays", "mon-fri"):
        return "01234"
    if t in ("weekends", "sat-sun"):
        return "56"
    picked = set()
    for part in re.split(r"[\s,]+", t):
        if not part:
            continue
        idx = next((i for i, d in enumerate(WEEKDAYS) if part.startswith(d)), None)
        if idx is None:
            raise UserError(
                f"{part[:12]!r} isn't a weekday.",
                hint="Use daily, weekdays, weekends, or e.g. mon,wed,fri",
            )
        picked.add(idx)
    if not picked:
        raise UserError("Pick at least one day.", hint="e.g. daily, weekdays or mon,wed,fri")
    return "".join(str(i) for i in sorted(picked))


def parse_weekday(text: str) -> int:
    t = text.strip().lower()
    for i, d in enumerate(WEEKDAYS):
        if t.startswith(d):
            return i
    raise UserError(f"{text[:12]!r} isn't a weekday.", hint="e.g. sun or monday")


def parse_pause(text: str, today: date) -> date | None:
    t = text.strip().lower()
    if t in ("off", "none", "resume", "no"):
        return None
    try:
        d = date.fromisoformat(t)
    except ValueError:
        raise UserError(f"{text[:12]!r} isn't a date.", hint="Use YYYY-MM-DD, or 'off'") from None
    if d <= today:
        raise UserError("The pause must end after today.", hint="Use 'off' to resume now.")
    if (d - today).days > 366:
        raise UserError("You can pause for up to a year at a time.")
    return d


def parse_on_off(text: str, what: str) -> bool:
    t = text.strip().lower()
    if t in ("on", "yes", "true"):
        return True
    if t in ("off", "no", "false"):
        return False
    raise UserError(f"{what} can be on or off, not {text[:12]!r}.", hint="e.g. /settings images:off")


def parse_quiet(text: str) -> tuple[str | None, str | None]:
    t = text.strip().lower()
    if t in ("off", "none", "no"):
        return None, None
    start, sep, end = t.partition("-")
    if not sep:
        raise UserError("Quiet hours look like 22:00-07:00.", hint="Or 'off' to remove them.")
    s, e = parse_time(start, "start time"), parse_time(end, "end time")
    if s == e:
        raise UserError("Quiet hours need different start and end times.")
    return s, e


async def apply_settings(call: Call, member: Member, opts: Mapping[str, object]) -> list[str]:
    """Validate everything first, then change; returns what changed."""
    today = call.today(member)
    changes: list[tuple[str, object, str]] = []
    if (v := opts.get("timezone")) is not None:
        zone = timezones.validate(str(v), call.now())
        changes.append(("timezone", zone, f"Time zone: {timezones.describe(zone, call.now())}"))
    if (v := opts.get("checkin_time")) is not None:
        t = parse_time(str(v), "check-in time")
        changes.append(("checkin_time", t, f"Check-in time: {t}"))
    if (v := opts.get("checkin_days")) is not None:
        d = parse_days(str(v))
        changes.append(("checkin_days", d, "Study days: " + ", ".join(DAY_NAMES[int(c)] for c in d)))
    if (v := opts.get("hours_per_week")) is not None:
        try:
            h = float(str(v))
        except ValueError:
            raise UserError("Hours per week must be a number.") from None
        if not 0.5 <= h <= 80:
            raise UserError("Hours per week must be between 0.5 and 80.")
        changes.append(("hours_per_week", h, f"Hours per week: {hours(h)}"))
    if (v := opts.get("nudge_day")) is not None:
        wd = parse_weekday(str(v))
        changes.append(("nudge_weekday", wd, f"Weekly nudge: {DAY_NAMES[wd]}"))
    if (v := opts.get("pause_until")) is not None:
        p = parse_pause(str(v), today)
        changes.append(("paused_until", p, f"Paused until {day(p)}" if p else "Reminders resumed"))
    if (v := opts.get("quiet_hours")) is not None:
        qs, qe = parse_quiet(str(v))
        changes.append(("quiet_start", qs, f"Quiet hours: {qs}-{qe}" if qs else "Quiet hours off"))
        changes.append(("quiet_end", qe, ""))
    changes += review.setting_changes(opts)
    if (v := opts.get("images")) is not None:
        changes.append(("images_enabled", parse_on_off(str(v), "Pictures"), f"Pictures: {str(v).lower()}"))
    stream, enabled = opts.get("stream"), opts.get("enabled")
    if (stream is None) != (enabled is None):
        raise UserError(
            "To switch a reminder, give both the stream and on/off.",
            hint="e.g. /settings stream:nudge enabled:off",
        )
    # Only what actually changed is reported: a form sent back with its defaults saves nothing new.
    said = [label for attr, value, label in changes if label and getattr(member, attr) != value]
    for attr, value, _ in changes:
        setattr(member, attr, value)
        if attr == "timezone":
            member.timezone_source = "member"
    if stream is not None:
        said.append(await set_stream(call, member, str(stream), enabled == "on"))
    if (v := opts.get("leaderboard")) is not None:
        said.extend(await community_visibility.from_settings(call, member, v == "on"))
    await call.session.flush()
    if any(attr == "hours_per_week" for attr, _, _ in changes):
        await _refit_plan(call, member)
    await due_times.refresh(call.session, member, call.now())
    await memberships.share_settings(call.session, member, call.now())
    if opts.get("pause_until") is not None:
        for m in [member, *await memberships.others(call.session, member)]:
            await pauses.record(call.session, m, member.paused_until, call.today(m), call.now())
    return said


async def _refit_plan(call: Call, member: Member) -> None:
    """Re-lay the active plan at the new weekly pace: the same rule as the pace menu in /learn."""
    plan = await repo.active_plan(call.session, member.id)
    if plan is None or plan.hours_per_week == member.hours_per_week:
        return
    await plan_weeks.repace(call, member, plan, member.hours_per_week)


async def set_stream(call: Call, member: Member, stream: str, on: bool) -> str:
    rows = await repo.schedules(call.session, member.id)
    if stream not in rows:
        raise UserError(f"There's no reminder called {stream[:20]!r}.")
    rows[stream].enabled = on
    rows[stream].disabled_reason = None if on else "turned off by member"
    if on and member.dm_blocked_reason:
        member.dm_blocked_reason = None
    return f"{STREAM_NAMES[stream]}: {'on' if on else 'off'}"


async def settings_command(call: Call, **opts: object) -> Reply:
    member = await call.member()
    if not opts:
        return await show(call, member)
    said = await apply_settings(call, member, opts)
    reply = await show(call, member)
    text = "Saved. " + "; ".join(said) + "." if said else "Nothing to change: those are your settings."
    return Reply(text=text, cards=reply.cards, buttons=reply.buttons)


async def show(
    call: Call,
    member: Member,
) -> Reply:
    rows = await repo.schedules(call.session, member.id)
    days = ", ".join(DAY_NAMES[int(c)] for c in member.checkin_days)
    fields = [
        Field("Time zone", timezones.describe(member.timezone, call.now())),
        Field("Check-in time", member.checkin_time),
        Field("Study days", days),
        Field("Hours per week", hours(member.hours_per_week)),
        Field("Weekly nudge", DAY_NAMES[member.nudge_weekday]),
        Field(
            "Quiet hours",
            f"{member.quiet_start}-{member.quiet_end}" if member.quiet_start else "off",
        ),
        Field("Paused until", day(member.paused_until) if member.paused_until else "not paused"),
        review.settings_field(member),
        Field("Pictures", "on" if member.images_enabled is not False else "off (text only)"),
        community_visibility.settings_field(member),
    ]
    lines = []
    buttons = [Button("Edit settings", "settings:edit", "primary")]
    failed = [s for s, row in rows.items() if not row.enabled and _dm_failed(row.disabled_reason)]
    if failed or member.dm_blocked_reason:
        lines.append(
            f"⚠️ I couldn't reach you by direct message ({dm_problem(member.dm_blocked_reason)}), "
            "so I turned your reminders off. Once you've opened your DMs to me, press "
            f"**{RESUME_LABEL}**."
        )
        buttons.insert(0, Button(RESUME_LABEL, "settings:resume", "success"))
    for stream in ("checkin", "nudge", "paper", "reassess"):
        row = rows.get(stream)
        if row is None:
            continue
        state = "on" if row.enabled else f"off ({_off_reason(row.disabled_reason)})"
        due = ""
        if row.enabled and row.next_due_at:
            local = row.next_due_at.astimezone(call.tz(member))
            due = f" · next {day_time(local)}"
        lines.append(f"**{STREAM_NAMES[stream]}**: {state}{due}")
        if stream != "reassess":
            verb = "off" if row.enabled else "on"
            buttons.append(
                Button(
                    f"Turn {STREAM_NAMES[stream].lower()} {verb}",
                    f"settings:stream:{stream}:{verb}",
                )
            )
    flip = "off" if member.images_enabled is not False else "on"
    buttons.append(Button(f"Turn pictures {flip}", f"settings:images:{flip}"))
    return Reply(
        cards=(Card(title="Your settings", body="\n".join(lines), fields=tuple(fields)),),
        buttons=tuple(buttons[:5]),
        origin="settings:show",
    )


def settings_form(member: Member) -> Form:
    return Form(
        action="settings:save",
        title="Your settings",
        fields=(
            FormField(
                "timezone",
                "Time zone (city, Europe/Berlin or UTC+5:30)",
                default=member.timezone,
                max_length=64,
            ),
            FormField(
                "checkin_time",
                "Daily check-in time (HH:MM)",
                default=member.checkin_time,
                max_length=5,
            ),
            FormField(
                "checkin_days",
                "Study days (daily, weekdays, mon,wed,fri)",
                default=",".join(WEEKDAYS[int(c)] for c in member.checkin_days),
                max_length=40,
            ),
            FormField(
                "hours_per_week",
                "Hours per week",
                default=f"{member.hours_per_week:g}",
                max_length=5,
            ),
            FormField(
                "pause_until",
                "Pause until (YYYY-MM-DD or off)",
                required=False,
                default=str(member.paused_until or ""),
                max_length=10,
            ),
        ),
    )


async def edit(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return Reply(form=settings_form(await call.member()))


async def save(call: Call, _a: list[str], values: Mapping[str, str]) -> Reply:
    member = await call.member()
    opts = {
        k: v
        for k, v in values.items()
        if k in {"timezone", "checkin_time", "checkin_days", "hours_per_week", "pause_until"} and v.strip()
    }
    if "pause_until" in {k for k, v in values.items() if not v.strip()} and member.paused_until:
        opts["pause_until"] = "off"
    said = await apply_settings(call, member, opts)
    reply = await show(call, member)
    return Reply(
        text="Saved. " + ("; ".join(said) or "Nothing changed") + ".",
        cards=reply.cards,
        buttons=reply.buttons,
    )


async def stream_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) != 2 or args[1] not in ("on", "off"):
        raise UserError("That button is broken. Run /settings for a fresh one.")
    member = await call.member()
    said = await apply_settings(call, member, {"stream": args[0], "enabled": args[1]})
    reply = await show(call, member)
    return Reply(text="Saved. " + "; ".join(said) + ".", cards=reply.cards, buttons=reply.buttons)


async def images_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) != 1 or args[0] not in ("on", "off"):
        raise UserError("That button is broken. Run /settings for a fresh one.")
    member = await call.member()
    said = await apply_settings(call, member, {"images": args[0]})
    reply = await show(call, member)
    text = "Saved. " + "; ".join(said) + "." if said else f"Pictures are already {args[0]}."
    return Reply(text=text, cards=reply.cards, buttons=reply.buttons)


def _dm_failed(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(DM_FAILED)


def _off_reason(reason: str | None) -> str:
    if _dm_failed(reason):
        return "direct messages failed"
    return reason or "turned off"


async def resume_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    """Turn back on every reminder that a failed DM turned off, in one step."""
    member = await call.member()
    rows = await repo.schedules(call.session, member.id)
    back = [s for s, row in rows.items() if not row.enabled and _dm_failed(row.disabled_reason)]
    for stream in back:
        rows[stream].enabled = True
        rows[stream].disabled_reason = None
    member.dm_blocked_reason = None
    member.dm_blocked_notice = False
    await call.session.flush()
    await due_times.refresh(call.session, member, call.now())
    names = [STREAM_NAMES[s] for s in ("checkin", "nudge", "paper", "reassess") if s in back]
    text = (
        f"Your reminders are back on: {', '.join(names)}. If my next message can't reach you, "
        "I'll turn them off again and tell you here."
        if names
        else "Your reminders are already on."
    )
    reply = await show(call, member)
    return Reply(text=text, cards=reply.cards, buttons=reply.buttons)


async def show_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return await show(call, await call.member())


ACTIONS = {
    "settings:edit": edit,
    "settings:save": save,
    "settings:stream": stream_action,
    "settings:show": show_action,
    "settings:resume": resume_action,
    "settings:images": images_action,
}
