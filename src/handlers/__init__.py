"""Thin Lambda entry points: parse the trigger, call a use case, map errors to queue behaviour."""
