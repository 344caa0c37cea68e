"""A `Reply` as a JSON-able dict and back, so scheduled messages can wait in the outbox.

The dict mirrors the dataclasses field by field; tuples become lists and an
attachment's bytes become base64. Unknown keys are ignored on the way back, so an
older process can still read rows a newer one wrote.
"""

from __future__ import annotations

import base64
from dataclasses import fields, is_dataclass, replace
from typing import Any

from bot.core.replies import (
    Attachment,
    Button,
    Card,
    Field,
    Form,
    FormField,
    Image,
    Progress,
    Reply,
    Select,
    SelectOption,
)


def _plain(value: Any) -> Any:
    if isinstance(value, Image):
        value = replace(value, spec=None)  # only drawn bytes are stored
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return _plain(reply)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _card(data: dict[str, Any]) -> Card:
    d = _known(Card, data)
    d["fields"] = tuple(Field(**_known(Field, f)) for f in d.get("fields", ()))
    if d.get("progress") is not None:
        d["progress"] = Progress(**_known(Progress, d["progress"]))
    return Card(**d)


def _form(data: dict[str, Any]) -> Form:
    d = _known(Form, data)
    d["fields"] = tuple(FormField(**_known(FormField, f)) for f in d.get("fields", ()))
    return Form(**d)


def _select(data: dict[str, Any]) -> Select:
    d = _known(Select, data)
    d["options"] = tuple(SelectOption(**_known(SelectOption, o)) for o in d.get("options", ()))
    return Select(**d)


def _attachment(data: dict[str, Any]) -> Attachment:
    d = _known(Attachment, data)
    d["content"] = base64.b64decode(d.get("content", ""))
    return Attachment(**d)


def _image(data: dict[str, Any]) -> Image:
    d = _known(Image, data)
    d["png"] = base64.b64decode(d.get("png", ""))
    d["spec"] = None  # a spec is drawn before a reply is stored; only its bytes travel
    return Image(**d)


def reply_from_dict(data: dict[str, Any]) -> Reply:
    d = _known(Reply, data)
    d["cards"] = tuple(_card(c) for c in d.get("cards", ()))
    d["buttons"] = tuple(Button(**_known(Button, b)) for b in d.get("buttons", ()))
    d["notices"] = tuple(d.get("notices", ()))
    if d.get("select") is not None:
        d["select"] = _select(d["select"])
    if d.get("form") is not None:
        d["form"] = _form(d["form"])
    if d.get("attachment") is not None:
        d["attachment"] = _attachment(d["attachment"])
    d["images"] = tuple(_image(i) for i in d.get("images", ()) if isinstance(i, dict))
    return Reply(**d)
