"""An in-memory adapter: drives the engine like a member would and records what is sent.

It is the first-class test backend: journeys run through it on a real database,
and it implements the Messenger port so scheduled messages can be inspected.
"""

from bot.adapters.memory.driver import MemberDriver
from bot.adapters.memory.messenger import MemoryMessenger

__all__ = ["MemberDriver", "MemoryMessenger"]
