"""Applying one row of a capability's transition table.

Each capability keeps its own table of allowed transitions and its own timeline model;
this is the shared step: refuse a move from the wrong state, change the state and any
fields, append the timeline row, and write the audit entry with the before/after diff.
Call it inside the service's transaction, with the row locked.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from qifu.core import audit, requestinfo
from qifu.core.errors import RuleViolation


def apply(
    obj: models.Model,
    *,
    action: str,
    label: str,
    sources: tuple[str, ...],
    target: str,
    error_code: str,
    audit_action: str,
    event_model: type[models.Model],
    event_fields: dict[str, Any],
    note: str = "",
    **fields: Any,
) -> models.Model:
    if obj.status not in sources:
        raise RuleViolation(
            error_code,
            f"申请当前状态为「{obj.get_status_display()}」，不能{label}",
            detail={"status": obj.status, "action": action},
        )
    before = audit.snapshot(obj)
    previous = obj.status
    obj.status = target
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    event_model.objects.create(
        action=action,
        from_status=previous,
        to_status=target,
        note=note[:300],
        actor=requestinfo.acting_user(),
        **event_fields,
    )
    audit.record(audit_action, obj, changes=audit.diff(before, audit.snapshot(obj)))
    return obj
