"""Check recorded request bodies against Discord's OpenAPI description and its limits."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.adapters.discord import limits
from tests.fakes.discord_fake import Call

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO.parent / "shared" / "spec" / "discord_openapi.json"
SPEC_URI = "urn:discord-openapi"


@lru_cache(maxsize=1)
def _spec() -> tuple[dict[str, Any], Registry, list[tuple[str, re.Pattern[str]]]] | None:
    if not SPEC_PATH.exists():
        return None
    spec = json.loads(SPEC_PATH.read_text())
    spec = copy.deepcopy(spec)
    # The spec types snowflakes as strings; discord.py sends some as integers.
    snowflake = spec["components"]["schemas"]["SnowflakeType"]
    spec["components"]["schemas"]["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    paths = []
    for template in spec["paths"]:
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)) + "$"
        paths.append((template, re.compile(rx)))
    # Prefer literal segments (@original, @me) over parameters.
    paths.sort(key=lambda p: p[0].count("{"))
    return spec, registry, paths


def spec_available() -> bool:
    return _spec() is not None


def _schema_for(call: Call) -> dict[str, Any] | None:
    loaded = _spec()
    if loaded is None:
        return None
    spec, _, paths = loaded
    for template, rx in paths:
        if rx.match(call.path):
            op = spec["paths"][template].get(call.method.lower())
            if op is None:
                continue
            content = (op.get("requestBody") or {}).get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None)
            if media is None:
                return None
            return {
                "$ref": f"{SPEC_URI}#/paths/{_escape(template)}/{call.method.lower()}/requestBody/content/"
                + _escape("application/json" if "application/json" in content else next(iter(content)))
                + "/schema"
            }
    raise AssertionError(f"{call.route()} is not in Discord's OpenAPI description")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def spec_errors(call: Call) -> list[str]:
    loaded = _spec()
    if loaded is None or call.body is None:
        return []
    schema = _schema_for(call)
    if schema is None:
        return []
    validator = Draft202012Validator(schema, registry=loaded[1])
    return [
        f"{call.route()}: {e.message[:300]} at {list(e.absolute_path)}"
        for e in validator.iter_errors(call.body)
    ]


def limit_errors(call: Call) -> list[str]:
    body = call.body
    if not isinstance(body, (dict, list)):
        return []
    if call.method == "PUT" and call.path.endswith("/commands"):
        return limits.command_problems(body)
    if call.path.endswith("/callback"):
        data = body.get("data") or {}
        if body.get("type") == 9:
            return limits.modal_problems(data)
        if body.get("type") == 8:
            return limits.choices_problems(data.get("choices") or [])
        return limits.message_problems(data)
    if isinstance(body, dict) and ("embeds" in body or "content" in body or "components" in body):
        return limits.message_problems(body)
    return []


def assert_valid(calls: list[Call]) -> None:
    problems: list[str] = []
    for call in calls:
        if call.method in ("POST", "PUT", "PATCH"):
            problems += limit_errors(call) + spec_errors(call)
    assert not problems, "\n".join(problems)
