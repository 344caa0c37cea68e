"""Helpers the features share (due times, plan weeks, levels, pauses, memberships, the study
log, pictures). No command lives here: commands live in bot.core.features."""
