"""The command set, described once. Adapters build slash commands from it, and the
console and Slack parse typed arguments with `parse_args`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.errors import UserError
from bot.core.minutes import FIELD_MAX_LENGTH

OptionKind = Literal["string", "integer", "number", "choice", "channel"]


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    kind: OptionKind
    description: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    autocomplete: str | None = None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    options: tuple[Option, ...] = ()
    admin: bool = False
    usage: str = ""

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


NOTE_MAX = 1000
STREAMS_CHOICES = (
    ("Daily check-in", "checkin"),
    ("Weekly nudge", "nudge"),
    ("Weekly paper", "paper"),
    ("Reassessment reminder", "reassess"),
)
ON_OFF = (("on", "on"), ("off", "off"))
LEADERBOARD_PERIODS = (("This week", "week"), ("This month", "month"), ("All time", "all"))
MILESTONE_CHOICES = (
    ("7-day streak", "streak-7"),
    ("30-day streak", "streak-30"),
    ("100-day streak", "streak-100"),
    ("First topic done", "first-topic"),
    ("A quarter of a plan", "plan-quarter"),
    ("Half of a plan", "plan-half"),
    ("A whole plan", "plan-all"),
    ("10 papers read", "papers-10"),
    ("Level up in a reassessment", "level-up"),
)
CADENCE_CHOICES = (("Every week", "weekly"), ("Every two weeks", "biweekly"))
BUDDY_CHOICES = (
    ("Pair me every week", "weekly"),
    ("Pair me every two weeks", "biweekly"),
    ("Skip the next round", "skip"),
    ("End my current pairing", "end"),
    ("Stop pairing me", "leave"),
)


def command_specs(
    roadmap_choices: tuple[tuple[str, str], ...],
    area_choices: tuple[tuple[str, str], ...],
    explore_choices: tuple[tuple[str, str], ...],
) -> tuple[CommandSpec, ...]:
    """All commands. Choices come from the content catalogue."""
    return (
        CommandSpec(
            "learn",
            "Browse the roadmaps and learning paths, and start a personal plan",
            (Option("roadmap", "choice", "A roadmap or learning path", choices=roadmap_choices),),
            usage="/learn [roadmap]",
        ),
        CommandSpec(
            "assess",
            "Find your level with a short adaptive quiz",
            (
                Option(
                    "area",
                    "choice",
                    "A single skill area, or 'ai' for the full placement",
                    choices=(("Full placement", "ai"), *area_choices),
                ),
            ),
            usage="/assess [area]",
        ),
        CommandSpec("progress", "Your streak, pace and progress through your plan"),
        CommandSpec("today", "What to study today"),
        CommandSpec(
            "checkin",
            "Log today's study time",
            (
                Option(
                    "minutes",
                    "string",
                    "Time studied: 45, 90m, 1h30, 1:30 or 1.5h",
                    max_length=FIELD_MAX_LENGTH,
                ),
                Option("note", "string", "What you worked on", max_length=NOTE_MAX),
            ),
            usage="/checkin [minutes] [note]",
        ),
        CommandSpec("review", "Recall what you studied: today's due review cards, one at a time"),
        CommandSpec("paper", "A paper to read this week, matched to your track and level"),
        CommandSpec(
            "explore",
            "Skills, careers, salaries, trends, projects and resources",
            (Option("topic", "choice", "What to explore", choices=explore_choices),),
            usage="/explore [topic]",
        ),
        CommandSpec(
            "settings",
            "Time zone, check-in time, study hours and reminders",
            (
                Option(
                    "timezone",
                    "string",
                    "Time zone: a city, Europe/Berlin, PST or UTC+5:30",
                    max_length=64,
                    autocomplete="timezone",
                ),
                Option("checkin_time", "string", "Daily check-in time, HH:MM", max_length=5),
                Option("checkin_days", "string", "daily, weekdays, or e.g. mon,wed,fri", max_length=40),
                Option("hours_per_week", "number", "Study hours per week", min_value=0.5, max_value=80),
                Option("nudge_day", "string", "Weekday for the weekly nudge, e.g. sun", max_length=9),
                Option(
                    "pause_until",
                    "string",
                    "Pause reminders until YYYY-MM-DD, or 'off'",
                    max_length=10,
                ),
                Option("quiet_hours", "string", "e.g. 22:00-07:00, or 'off'", max_length=11),
                Option("stream", "choice", "A reminder to turn on or off", choices=STREAMS_CHOICES),
                Option("enabled", "choice", "Turn that reminder on or off", choices=ON_OFF),
                Option("review_retention", "string", "Review recall to aim for, e.g. 90%", max_length=6),
                Option("review_limit", "string", "Review cards a day (0 turns reviews off)", max_length=3),
                Option("images", "choice", "Pictures in replies: on or off", choices=ON_OFF),
                Option(
                    "leaderboard",
                    "choice",
                    "Show me on this community's leaderboard and digest",
                    choices=ON_OFF,
                ),
            ),
            usage="/settings [timezone] [checkin_time] [checkin_days] [hours_per_week] ...",
        ),
        CommandSpec(
            "privacy",
            "Export or delete everything the bot stores about you",
            (
                Option(
                    "action",
                    "choice",
                    "export or delete",
                    choices=(("Export my data", "export"), ("Delete my data", "delete")),
                ),
            ),
            usage="/privacy [export|delete]",
        ),
        CommandSpec(
            "leaderboard",
            "Who studied most here (members who opted in), and your own rank",
            (Option("period", "choice", "week, month or all time", choices=LEADERBOARD_PERIODS),),
            usage="/leaderboard [week|month|all]",
        ),
        CommandSpec(
            "buddy",
            "Study buddies: get paired with another member each week or two",
            (Option("action", "choice", "What to do", choices=BUDDY_CHOICES),),
            usage="/buddy [weekly|biweekly|skip|end|leave]",
        ),
        CommandSpec("help", "What the bot can do"),
        CommandSpec(
            "admin",
            "Community settings: weekly-paper channel, defaults and stats",
            (
                Option(
                    "action",
                    "choice",
                    "What to do",
                    required=True,
                    choices=(
                        ("Set the weekly-paper channel", "paper-channel"),
                        ("Set community defaults", "defaults"),
                        ("Community stats", "stats"),
                        ("Set the digest channel", "digest-channel"),
                        ("Set the digest day and time", "digest-time"),
                        ("Turn the weekly digest on", "digest-on"),
                        ("Turn the weekly digest off", "digest-off"),
                        ("Turn the leaderboard on", "leaderboard-on"),
                        ("Turn the leaderboard off", "leaderboard-off"),
                        ("Milestone celebrations: channel, on or off", "celebrations"),
                        ("Map a milestone to a server role", "milestones"),
                        ("Study buddies: channel, cadence, on or off", "buddies"),
                    ),
                ),
                Option(
                    "channel",
                    "channel",
                    "Channel for the weekly paper, the digest, celebrations or buddy intros",
                ),
                Option(
                    "timezone",
                    "string",
                    "Default time zone for new members",
                    max_length=64,
                    autocomplete="timezone",
                ),
                Option("checkin_time", "string", "Default check-in time, HH:MM", max_length=5),
                Option(
                    "hours_per_week",
                    "number",
                    "Default study hours per week",
                    min_value=0.5,
                    max_value=80,
                ),
                Option("weekday", "string", "Digest weekday, e.g. sun", max_length=9),
                Option("time", "string", "Digest time, HH:MM in the community's time zone", max_length=5),
                Option("milestone", "choice", "A milestone to map to a role", choices=MILESTONE_CHOICES),
                Option("role", "string", "The server role for that milestone, or 'none'", max_length=40),
                Option("cadence", "choice", "How often buddy rounds run", choices=CADENCE_CHOICES),
                Option("enabled", "choice", "Turn the feature on or off", choices=ON_OFF),
            ),
            admin=True,
            usage="/admin paper-channel <channel> | defaults [timezone] [checkin_time] "
            "[hours_per_week] | stats | digest-channel <channel> | digest-time <weekday> <HH:MM> "
            "| digest-on | digest-off | leaderboard-on | leaderboard-off "
            "| celebrations [channel] [enabled] | milestones [milestone] [role] "
            "| buddies [channel] [cadence] [enabled]",
        ),
    )


_TOKEN = re.compile(r"""(?P<q>["'])(?P<quoted>.*?)(?P=q)(?=\s|$)|\S+""", re.DOTALL)
_KEYWORD = re.compile(r"^(?P<name>[A-Za-z][A-Za-z_-]*)[:=](?P<value>.*)$", re.DOTALL)
_CHANNEL_REF = re.compile(r"^(?:<#[A-Za-z0-9]+(?:\|[^>]*)?>|#[^\s#]+|[CG][A-Z0-9]{8,}|[0-9]{15,21})$")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    value: str


def _tokens(text: str) -> list[_Token]:
    """Whitespace-separated words; a word that starts and ends with a matching quote is one token
    without its quotes. Free text (a note) is never rebuilt from tokens, only sliced from `text`."""
    out = []
    for m in _TOKEN.finditer(text):
        out.append(_Token(m.start(), m.group("quoted") if m.group("q") else m.group(0)))
    return out


def _option_name(spec: CommandSpec, word: str) -> str | None:
    """The option `word` names: its full name, or the first part of exactly one option's name.

    So `/settings pause 2026-12-20` and `/settings quiet 22:00-07:00` work as people type them;
    `checkin` alone names nothing, since both checkin_time and checkin_days start with it.
    """
    name = word.replace("-", "_").lower()
    if spec.option(name) is not None:
        return name
    if len(name) < 4 or "_" in name:
        return None
    starts = [o.name for o in spec.options if o.name.split("_", 1)[0] == name and "_" in o.name]
    return starts[0] if len(starts) == 1 else None


def _takes_rest(free: list[Option], opt: Option, rest: str = "") -> bool:
    """The last open option, or the only string option still open, takes the rest of the line.

    The only string option does not when the rest could never fit it and other options follow:
    `/admin defaults Mumbai 08:00 6` gives the check-in time 08:00 and 6 hours a week.
    """
    if opt is free[-1]:
        return True
    strings = [o for o in free if o.kind == "string"]
    if opt.kind != "string" or strings != [opt]:
        return False
    return not (opt.max_length and len(rest) > opt.max_length and len(rest.split()) > 1)


def parse_args(spec: CommandSpec, text: str) -> dict[str, Any]:
    """Parse typed arguments: positional in option order, or `name:value`, `name=value`, `name value`.

    `/checkin 30 read the attention paper` gives minutes=30 and the rest as the note, exactly as
    typed (quotes, semicolons and all). `/settings timezone Asia/Kolkata` names its option.
    """
    text = text.strip()
    if not text:
        return {}
    tokens = _tokens(text)
    out: dict[str, Any] = {}
    leftover: list[str] = []
    named = {
        n
        for t in tokens
        if (kw := _KEYWORD.match(t.value)) and (n := _option_name(spec, kw.group("name"))) is not None
    }

    def open_options(positional: bool = False) -> list[Option]:
        return [o for o in spec.options if o.name not in out and not (positional and o.name in named)]

    def keywords_after(index: int) -> bool:
        return any(
            (kw := _KEYWORD.match(t.value)) and _option_name(spec, kw.group("name")) not in (None, *out)
            for t in tokens[index + 1 :]
        )

    def rest_from(index: int, offset: int = 0) -> str:
        return text[tokens[index].start + offset :].strip() if index < len(tokens) else ""

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        raw = text[tok.start :].split(None, 1)[0]
        kw = _KEYWORD.match(raw)
        name = _option_name(spec, kw.group("name")) if kw else None
        if kw and name and name not in out:
            opt = spec.option(name)
            assert opt is not None
            value = kw.group("value")
            if not value:
                if i + 1 < len(tokens):
                    rest = _takes_rest(open_options(), opt) and not keywords_after(i + 1)
                    out[name] = rest_from(i + 1) if rest else tokens[i + 1].value
                i += 2
                continue
            if _takes_rest(open_options(), opt) and not keywords_after(i):
                out[name] = rest_from(i, len(kw.group("name")) + 1)
                break
            out[name] = value.strip("\"'") if value[:1] in "\"'" else value
            i += 1
            continue
        name = _option_name(spec, tok.value) if tok.value == raw else None
        if name and name not in out and i + 1 < len(tokens):
            opt = spec.option(name)
            assert opt is not None
            if _takes_rest(open_options(), opt, rest_from(i + 1)) and not keywords_after(i + 1):
                out[name] = rest_from(i + 1)
                break
            out[name] = tokens[i + 1].value
            i += 2
            continue
        channel = next((o for o in open_options(True) if o.kind == "channel"), None)
        if channel is not None and _CHANNEL_REF.match(tok.value):
            out[channel.name] = tok.value
            i += 1
            continue
        free = [o for o in open_options(True) if o.kind != "channel"]
        if not free:
            leftover = [t.value for t in tokens[i:]]
            break
        opt = free[0]
        if _takes_rest(free, opt, rest_from(i)) and not keywords_after(i):
            out[opt.name] = rest_from(i)
            break
        out[opt.name] = tok.value
        i += 1
    if leftover:
        raise UserError(
            f"I didn't understand {' '.join(leftover)[:80]!r}.",
            hint=f"Usage: {spec.usage or '/' + spec.name}",
        )
    return out


def coerce_options(spec: CommandSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """Check and convert option values; raise UserError naming the option on bad input."""
    out: dict[str, Any] = {}
    for name, value in raw.items():
        opt = spec.option(name)
        if opt is None:
            raise UserError(
                f"/{spec.name} has no option called {name!r}.",
                hint=f"Usage: {spec.usage or '/' + spec.name}",
            )
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            raise UserError(f"The {name.replace('_', ' ')} is empty. Fill it in, or leave the option out.")
        out[name] = _coerce(spec, opt, value)
    for opt in spec.options:
        if opt.required and opt.name not in out:
            raise UserError(
                f"/{spec.name} needs the {opt.name!r} option.",
                hint=f"Usage: {spec.usage or '/' + spec.name}",
            )
    return out


def _coerce(spec: CommandSpec, opt: Option, value: Any) -> Any:
    label = f"{opt.name.replace('_', ' ')}"
    if opt.kind in ("integer", "number"):
        try:
            num = float(str(value).strip()) if opt.kind == "number" else int(str(value).strip())
        except ValueError:
            raise UserError(f"The {label} must be a number, not {str(value)[:40]!r}.") from None
        if num != num or num in (float("inf"), float("-inf")):
            raise UserError(f"The {label} must be a real number.")
        if opt.min_value is not None and num < opt.min_value:
            raise UserError(f"The {label} must be at least {opt.min_value:g}.")
        if opt.max_value is not None and num > opt.max_value:
            raise UserError(f"The {label} can be at most {opt.max_value:g}.")
        return num
    text = str(value).strip()
    if opt.max_length is not None and len(text) > opt.max_length:
        raise UserError(f"The {label} is {len(text)} characters long; the limit is {opt.max_length}.")
    if opt.kind == "choice" and opt.choices:
        wanted = text.lower()
        for choice_label, choice_value in opt.choices:
            if wanted in (choice_value.lower(), choice_label.lower()):
                return choice_value
        options = ", ".join(v for _, v in opt.choices[:25])
        raise UserError(f"{text[:60]!r} is not a known {label}.", hint=f"Try one of: {options}")
    return text
