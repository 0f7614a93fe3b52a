"""Helpers shared by the marketplace services: people to notify, numbering, rich text."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from qifu.core import permissions as P
from qifu.marketplace.permissions import SUBSIDY_VERIFY


def organisation_people(organisation, roles: Iterable[str] | None = None):
    """Active users who are members of ``organisation`` (optionally holding one of ``roles`` there)."""
    User = get_user_model()
    qs = User.objects.filter(memberships__organisation=organisation, is_active=True)
    if roles:
        qs = qs.filter(role_assignments__organisation=organisation, role_assignments__role__code__in=list(roles))
    return list(qs.distinct())


def institution_people(institution):
    return organisation_people(institution.organisation, (P.INSTITUTION_ADMIN, P.INSTITUTION_OPERATOR))


def enterprise_people(enterprise):
    return organisation_people(enterprise.organisation, (P.ENTERPRISE_OWNER, P.ENTERPRISE_MEMBER))


def permission_holders(organisation, permission: str) -> list:
    """Active members of ``organisation`` whose roles assigned there grant ``permission``
    (what they would hold while acting for it), whichever role that is."""
    RoleAssignment = apps.get_model("access", "RoleAssignment")
    assignments = RoleAssignment.objects.filter(
        organisation=organisation,
        organisation__is_active=True,
        user__is_active=True,
        user__memberships__organisation=organisation,
    ).select_related("role", "user")
    holders = {}
    for assignment in assignments:
        if permission in (assignment.role.permissions or []):
            holders.setdefault(assignment.user_id, assignment.user)
    return list(holders.values())


def town_staff(enterprise, permission: str = SUBSIDY_VERIFY) -> list:
    """Government staff of the enterprise's town holding ``permission`` (by default: subsidy verification)."""
    if enterprise.town_id is None:
        return []
    return permission_holders(enterprise.town, permission)


def notify(event: str, recipients, context: dict, *, link: str = "") -> None:
    """Send a messaging event; messaging defers delivery until the transaction commits."""
    from qifu.messaging.services import notify as send

    people = [u for u in recipients if u is not None]
    if people:
        send(event, people, context, link=link)


def new_number(prefix: str) -> str:
    """A readable, unguessable-enough order number: FW20261122-3F9A1C."""
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def sanitise_html(html: str) -> str:
    from qifu.core.richtext import sanitize

    return sanitize(html or "")
