"""Finds due work, writes it to a durable outbox, and delivers it through a Messenger."""
