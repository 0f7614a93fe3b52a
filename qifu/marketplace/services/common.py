"""Helpers shared by the marketplace services: people to notify, numbering, rich text."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.utils import timezone

from qifu.core import permissions as P


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


def town_staff(enterprise):
    if enterprise.town_id is None:
        return []
    return organisation_people(enterprise.town, (P.DISTRICT_STAFF,))


def notify(event: str, recipients, context: dict) -> None:
    """Send a messaging event; messaging defers delivery until the transaction commits."""
    from qifu.messaging.services import notify as send

    people = [u for u in recipients if u is not None]
    if people:
        send(event, people, context)


def new_number(prefix: str) -> str:
    """A readable, unguessable-enough order number: FW20261122-3F9A1C."""
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def sanitise_html(html: str) -> str:
    from qifu.core.richtext import sanitize

    return sanitize(html or "")
