"""/settings: time zone, check-in time, study hours and reminders."""

from __future__ import annotations

from bot.core.commands import ON_OFF, CommandSpec, Option
from bot.core.features.settings import handlers
from bot.core.registry import Registry

STREAMS_CHOICES = (
    ("Daily check-in", "checkin"),
    ("Weekly nudge", "nudge"),
    ("Weekly paper", "paper"),
    ("Reassessment reminder", "reassess"),
)
SPEC = CommandSpec(
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
)


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.settings_command, order=90)
    registry.actions(handlers.ACTIONS)
