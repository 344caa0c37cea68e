"""Hardening tests check every rendered payload strictly."""

from __future__ import annotations

import pytest

from bot.adapters.discord import limits


@pytest.fixture(autouse=True)
def strict_payloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "STRICT", True)
