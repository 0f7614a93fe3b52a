"""Writes for organisations, memberships, enterprises and institutions."""

from __future__ import annotations

from django.db import transaction

from qifu.core import audit
from qifu.orgs.models import Enterprise, Institution, Membership, Organisation


@transaction.atomic
def create_organisation(*, name: str, kind: str, parent: Organisation | None = None, code: str = "", sort: int = 0):
    org = Organisation.objects.create(name=name, kind=kind, parent=parent, code=code, sort=sort)
    audit.record("orgs.organisation.create", org, changes=audit.diff({}, audit.snapshot(org)))
    return org


@transaction.atomic
def add_member(user, organisation: Organisation, *, is_default: bool = False, title: str = "") -> Membership:
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"is_default": is_default, "title": title}
    )
    if created:
        audit.record("orgs.membership.create", membership, object_repr=f"{user} @ {organisation}")
    return membership


@transaction.atomic
def create_enterprise(*, name: str, parent: Organisation, **fields) -> Enterprise:
    """An enterprise and its own organisation node (under ``parent``, usually the tenant root)."""
    org = Organisation.objects.create(name=name, kind=Organisation.Kind.ENTERPRISE, parent=parent)
    enterprise = Enterprise.objects.create(organisation=org, name=name, **fields)
    audit.record("orgs.enterprise.create", enterprise, changes=audit.diff({}, audit.snapshot(enterprise)))
    return enterprise


@transaction.atomic
def create_institution(*, name: str, kind: str, parent: Organisation, **fields) -> Institution:
    org = Organisation.objects.create(name=name, kind=Organisation.Kind.INSTITUTION, parent=parent)
    institution = Institution.objects.create(organisation=org, name=name, kind=kind, **fields)
    audit.record("orgs.institution.create", institution, changes=audit.diff({}, audit.snapshot(institution)))
    return institution
