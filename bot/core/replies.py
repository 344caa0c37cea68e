"""The neutral reply model every service returns and every adapter renders.

Adapters turn a `Reply` into embeds and components (Discord), Block Kit (Slack)
or terminal text (console). `render_text` is the plain rendering every reply
has, used by the console and as the fallback `text` of platform messages.

Action ids are short, namespaced and stable (`learn:enrol:ai-engineer`), at most
100 characters, so a button in an old message still works after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

ACTION_MAX = 100

Style = Literal["primary", "secondary", "success", "danger"]
Tone = Literal["info", "success", "warning", "danger", "neutral"]


def _check_action(action: str) -> None:
    if not action or len(action) > ACTION_MAX or any(c.isspace() for c in action):
        raise ValueError(f"bad action id {action!r}: 1-{ACTION_MAX} chars, no spaces")


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str = ""
    style: Style = "secondary"
    url: str | None = None

    def __post_init__(self) -> None:
        if self.url is None:
            _check_action(self.action)


@dataclass(frozen=True, slots=True)
class SelectOption:
    label: str
    action: str
    description: str = ""
    selected: bool = False

    def __post_init__(self) -> None:
        _check_action(self.action)


@dataclass(frozen=True, slots=True)
class Select:
    """A single-choice menu. Choosing an option runs that option's action."""

    id: str
    placeholder: str
    options: tuple[SelectOption, ...]

    def __post_init__(self) -> None:
        _check_action(self.id)


@dataclass(frozen=True, slots=True)
class FormField:
    id: str
    label: str
    style: Literal["short", "paragraph"] = "short"
    required: bool = True
    placeholder: str = ""
    default: str = ""
    min_length: int = 0
    max_length: int = 4000


@dataclass(frozen=True, slots=True)
class Form:
    """A modal. Submitting it runs `action` with the field values."""

    action: str
    title: str
    fields: tuple[FormField, ...]

    def __post_init__(self) -> None:
        _check_action(self.action)
        if not 1 <= len(self.fields) <= 5:
            raise ValueError("a form has 1 to 5 fields")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Progress:
    done: float
    total: float
    label: str = ""

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.done / self.total))

    def bar(self, width: int = 20) -> str:
        filled = round(self.fraction * width)
        return "█" * filled + "░" * (width - filled) + f" {self.fraction:.0%}"


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    progress: Progress | None = None
    footer: str = ""
    url: str | None = None
    image_url: str | None = None
    tone: Tone = "info"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/json"


@dataclass(frozen=True, slots=True)
class Image:
    """A picture in a reply: PNG bytes, or what to draw (`spec`), which bot.core.pictures draws
    in a worker thread before an adapter sees the reply. `alt` states the same facts in words,
    and the reply's text carries the numbers too, so nothing depends on seeing it."""

    filename: str
    alt: str
    png: bytes = b""
    spec: Any = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the member sees in answer to a command or an action.

    `origin` is the action id that rebuilds this reply; adapters use it to
    paginate long replies with stateless page buttons.
    `text` is an optional lead line shown above the cards.
    """

    cards: tuple[Card, ...] = ()
    text: str = ""
    buttons: tuple[Button, ...] = ()
    select: Select | None = None
    form: Form | None = None
    attachment: Attachment | None = None
    private: bool = True
    error: bool = False
    origin: str | None = None
    notices: tuple[str, ...] = field(default=())
    images: tuple[Image, ...] = ()

    def with_notice(self, notice: str) -> Reply:
        return replace(self, notices=(*self.notices, notice))


def error_reply(message: str, hint: str | None = None) -> Reply:
    body = message if hint is None else f"{message}\n{hint}"
    return Reply(cards=(Card(title="That didn't work", body=body, tone="warning"),), error=True)


def render_text(reply: Reply) -> str:
    """Plain text for terminals and notification fallbacks."""
    out: list[str] = [f"! {n}" for n in reply.notices]
    if reply.text:
        out.append(reply.text)
    for card in reply.cards:
        out.append(f"== {card.title} ==")
        if card.body:
            out.append(card.body)
        if card.progress is not None:
            label = f"{card.progress.label}: " if card.progress.label else ""
            out.append(f"{label}{card.progress.bar()}")
        for f in card.fields:
            out.append(f"{f.name}: {f.value}")
        if card.url:
            out.append(card.url)
        if card.footer:
            out.append(f"-- {card.footer}")
    if reply.form is not None:
        out.append(f"[form] {reply.form.title}: " + ", ".join(f.label for f in reply.form.fields))
    if reply.attachment is not None:
        out.append(f"[file] {reply.attachment.filename} ({len(reply.attachment.content)} bytes)")
    return "\n".join(out)


def choices_of(reply: Reply) -> list[tuple[str, str]]:
    """(label, action) for every choice in the reply, in display order."""
    items = [(b.label, b.action) for b in reply.buttons if b.url is None]
    if reply.select is not None:
        items += [(o.label, o.action) for o in reply.select.options]
    return items
