"""What a command looks like (`CommandSpec`), and typed-argument parsing shared by every command.

Each feature declares its own specs (see bot.core.registry); the console and Slack parse typed
arguments with `parse_args`."""

from __future__ import annotations

import re
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


ON_OFF = (("on", "on"), ("off", "off"))


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
