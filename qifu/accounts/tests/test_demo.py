"""The identity demo gives the review queues content and a pending enterprise to sign in as."""

from __future__ import annotations

from qifu.accounts.models import CertificationApplication, InstitutionApplication
from qifu.core import tenancy
from qifu.core.models import Tenant
from qifu.core.seeding import DEMO_PASSWORD, seed_all
from qifu.core.testing.client import ApiClient


def test_demo_fills_the_review_queues(db):
    seed_all(seed=7, scale=0.02)
    tenant = Tenant.objects.get(code="demo")
    with tenancy.tenant_scope(tenant):
        statuses = sorted(CertificationApplication.objects.values_list("status", "is_dispute"))
        assert statuses == [("more_info", False), ("pending_review", False), ("pending_review", True)]
        assert InstitutionApplication.objects.filter(status="pending").count() == 2
    staff = ApiClient(host="127.0.0.1")
    assert staff.post("/api/v1/auth/login", {"username": "staff-a", "password": DEMO_PASSWORD}).status_code == 200
    assert staff.get("/api/v1/auth/certifications").json()["total"] == 3
    owner = ApiClient(host="127.0.0.1", REMOTE_ADDR="10.9.0.1")
    assert owner.post("/api/v1/auth/login", {"username": "ent-new", "password": DEMO_PASSWORD}).status_code == 200
    assert owner.get("/api/v1/auth/certification").json()["certification"] == "pending"
