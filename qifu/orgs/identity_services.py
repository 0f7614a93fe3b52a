"""Certification facts of an enterprise, written by the identity capability (C1).

The only writes identity makes to orgs' Enterprise rows: the certified registration
facts (credit code, legal representative) and the certification state. Audited here so
the enterprise's own history shows them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qifu.core import audit
from qifu.orgs.models import Enterprise, Organisation

_FACTS = ("credit_code", "legal_rep_name", "legal_rep_id_number", "certification", "certified_at", "town")


def is_certified(enterprise: Enterprise) -> bool:
    return enterprise.certification == Enterprise.Certification.CERTIFIED


def certified_holder(credit_code: str, *, exclude_id: int | None = None) -> Enterprise | None:
    """The enterprise of the active tenant that holds ``credit_code`` as certified, if any."""
    qs = Enterprise.objects.filter(credit_code=credit_code, certification=Enterprise.Certification.CERTIFIED)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.first()


def _save(enterprise: Enterprise, action: str, **changes) -> Enterprise:
    before = audit.snapshot(enterprise, _FACTS)
    for field, value in changes.items():
        setattr(enterprise, field, value)
    enterprise.save(update_fields=[*changes.keys(), "updated_at"])
    audit.record(action, enterprise, changes=audit.diff(before, audit.snapshot(enterprise, _FACTS)))
    return enterprise


@transaction.atomic
def set_certification_state(enterprise: Enterprise, state: str) -> Enterprise:
    """Mirror a certification application's progress (pending / more_info / rejected / none)."""
    if state == Enterprise.Certification.CERTIFIED:
        raise ValueError("use certify() to certify an enterprise")
    if enterprise.certification == state:
        return enterprise
    return _save(enterprise, "orgs.enterprise.certification", certification=state)


@transaction.atomic
def certify(
    enterprise: Enterprise,
    *,
    credit_code: str,
    legal_rep_name: str,
    legal_rep_id_number: str,
    town: Organisation | None = None,
) -> Enterprise:
    changes = {
        "credit_code": credit_code,
        "legal_rep_name": legal_rep_name,
        "legal_rep_id_number": legal_rep_id_number,
        "certification": Enterprise.Certification.CERTIFIED,
        "certified_at": timezone.now(),
    }
    if town is not None and enterprise.town_id is None:
        changes["town"] = town
    return _save(enterprise, "orgs.enterprise.certify", **changes)


@transaction.atomic
def revoke_certification(enterprise: Enterprise) -> Enterprise:
    return _save(
        enterprise,
        "orgs.enterprise.certification_revoke",
        certification=Enterprise.Certification.NONE,
        certified_at=None,
    )
