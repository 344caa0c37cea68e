"""The command set, described once. Adapters build slash commands from it, and the
console and Slack parse typed arguments with `parse_args`."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.errors import UserError

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


MINUTES_MAX = 24 * 60
NOTE_MAX = 1000
STREAMS_CHOICES = (
    ("Daily check-in", "checkin"),
    ("Weekly nudge", "nudge"),
    ("Weekly paper", "paper"),
)
ON_OFF = (("on", "on"), ("off", "off"))


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
                Option("minutes", "integer", "Minutes studied", min_value=1, max_value=MINUTES_MAX),
                Option("note", "string", "What you worked on", max_length=NOTE_MAX),
            ),
            usage="/checkin [minutes] [note]",
        ),
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
                    "IANA time zone, e.g. Europe/Berlin",
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
                    ),
                ),
                Option("channel", "channel", "Channel for the weekly paper"),
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
            ),
            admin=True,
            usage="/admin paper-channel <channel> | defaults [timezone] [checkin_time] "
            "[hours_per_week] | stats",
        ),
    )


def parse_args(spec: CommandSpec, text: str) -> dict[str, Any]:
    """Parse typed arguments: positional in option order, or `name:value` / `name=value`.

    `/checkin 30 read the attention paper` gives minutes=30 and the rest as the note;
    the last string option takes the remainder of the line.
    """
    text = text.strip()
    if not text:
        return {}
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    out: dict[str, Any] = {}
    positional: list[str] = []
    for tok in tokens:
        name, sep, value = tok.partition(":") if ":" in tok else tok.partition("=")
        name = name.replace("-", "_").lower()
        if sep and value and spec.option(name) is not None:
            out[name] = value
        else:
            positional.append(tok)
    free = [o for o in spec.options if o.name not in out and o.kind != "channel"]
    i = 0
    while positional and i < len(free):
        opt = free[i]
        remaining_strings = [o for o in free[i:] if o.kind == "string"]
        last_string = len(remaining_strings) == 1 and opt is remaining_strings[0]
        if i == len(free) - 1 or (opt.kind == "string" and last_string):
            out[opt.name] = " ".join(positional)
            positional = []
            break
        out[opt.name] = positional.pop(0)
        i += 1
    if positional:
        raise UserError(
            f"I didn't understand {' '.join(positional)!r}.",
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
