"""Access-sweep rows of accounts, sessions and onboarding applications (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

import secrets

from django.utils import timezone

from qifu.accounts import certification
from qifu.accounts.models import CertificationApplication, InstitutionApplication, UserSession
from qifu.core.testing.sweep_world import fixture
from qifu.orgs.codes import make_credit_code


@fixture("accounts.user")
def user(world):
    # A sub-account of the world's institution: reachable by the user admin and by the institution admin.
    return world.institution_operator


@fixture("accounts.usersession")
def user_session(world):
    # Another open session of the world's admin (the admin revokes it; no one else can).
    now = timezone.now()
    return UserSession.objects.create(
        session_key=secrets.token_hex(16), user=world.admin, last_seen_at=now, created_at=now, method="password"
    )


@fixture("accounts.certificationapplication")
def certification_application(world):
    enterprise = world.enterprise
    consent = certification.record_consent(
        world.enterprise_owner, enterprise.organisation, certification.CURRENT_CONSENT_VERSION
    )
    return CertificationApplication.objects.create(
        enterprise=enterprise,
        organisation=enterprise.organisation,
        town=world.town,
        company_name=enterprise.name,
        credit_code=enterprise.credit_code,
        legal_rep_name="张三",
        legal_rep_id_number="11010519491231002X",
        licence=world.upload("licence"),
        consent=consent,
        submitted_by=world.enterprise_owner,
        status=CertificationApplication.Status.PENDING_REVIEW,
    )


@fixture("accounts.institutionapplication")
def institution_application(world):
    return InstitutionApplication.objects.create(
        name=f"{world.name} 巡检知识产权事务所",
        kind="ip",
        credit_code=make_credit_code("9", "1", "320505", "MA77" + ("0001" if world.name == "alpha" else "0002")),
        contact_name="王五",
        contact_phone=f"{world.phone_prefix}9999",
        licence=world.upload("institution_licence"),
    )
