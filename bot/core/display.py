"""How numbers and dates are shown to members, one way each, on every surface."""

from __future__ import annotations

from datetime import date, datetime


def stars(n: int, of: int = 5) -> str:
    return "★" * n + "☆" * (of - n)


def hours(h: float) -> str:
    if h < 1:
        return f"{round(h * 60)} min"
    shown = int(h) if float(h).is_integer() else round(h, 1)
    return f"{shown} h"


def day(d: date) -> str:
    """The one way a date is shown to members: "Tue 2 Mar 2027". The year is always there, so a
    date reads the same in a check-in reply, a finish date and a reminder."""
    if isinstance(d, datetime):
        d = d.date()
    return f"{d:%a} {d.day} {d:%b %Y}"


def weekday(d: date, long: bool = False) -> str:
    """A day's name alone, for a button or a sentence about a day this week: "Mon" or "Monday"."""
    return f"{d:%A}" if long else f"{d:%a}"


def day_time(moment: datetime) -> str:
    """A local date and time: "Tue 2 Mar 2027 19:00"."""
    return f"{day(moment)} {moment:%H:%M}"


def bullet(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def month(d: date) -> str:
    """A month's short name alone, for a chart's axis: "Mar"."""
    return f"{d:%b}"


def short_day(d: date) -> str:
    """A day and month without the year, for a chart label next to a full date: "2 Mar"."""
    return f"{d.day} {d:%b}"


def month_year(d: date) -> str:
    """A calendar month as members read it: "December 2026"."""
    return f"{d:%B} {d.year}"
