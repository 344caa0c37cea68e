"""Small formatting helpers shared by the services."""

from __future__ import annotations

from datetime import date


def stars(n: int, of: int = 5) -> str:
    return "★" * n + "☆" * (of - n)


def hours(h: float) -> str:
    if h < 1:
        return f"{round(h * 60)} min"
    shown = int(h) if float(h).is_integer() else round(h, 1)
    return f"{shown} h"


def day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def bullet(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)
