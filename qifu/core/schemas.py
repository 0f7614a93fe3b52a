"""Schemas shared by several capabilities."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class ReasonIn(Schema):
    """A decision that must say why (reject, withdraw, request more material)."""

    reason: str = Field(..., min_length=1, max_length=500)


class UploadOut(Schema):
    """A stored upload, as returned right after it was accepted."""

    id: int
    name: str
    size: int


class TimelineEventOut(Schema):
    """One row of an entity's timeline (see qifu.core.statemachine)."""

    id: int
    action: str
    side: str
    from_status: str
    to_status: str
    note: str
    actor_name: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor_name(obj) -> str:
        actor = obj.actor
        return (getattr(actor, "name", "") or getattr(actor, "username", "")) if actor else "系统"
