"""Schemas shared by several capabilities."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class ReasonIn(Schema):
    """A decision that must say why (reject, withdraw, request more material)."""

    reason: str = Field(..., min_length=1, max_length=500)
