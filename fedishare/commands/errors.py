"""Refusals of a command, printed without a traceback."""

from __future__ import annotations


class CommandError(Exception):
    """A refusal worded for the operator; printed without a traceback."""
