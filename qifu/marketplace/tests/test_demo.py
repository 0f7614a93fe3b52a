"""The marketplace and financing demo data: created through the services, in every state, once."""

from __future__ import annotations

from qifu.core import tenancy
from qifu.core.models import Tenant
from qifu.core.seeding import seed_all
from qifu.finance.models import FinancialProduct, LoanApplication
from qifu.marketplace.models import Application, Category, Product, Rating, SubsidyProgramme


def test_demo_covers_every_state(db):
    seed_all(seed=3, scale=0.3)
    with tenancy.tenant_scope(Tenant.objects.get(code="demo")):
        assert Category.objects.filter(parent=None).count() == 8
        assert Product.objects.filter(status="listed").count() >= 8
        assert Product.objects.filter(status="pending").exists()
        states = set(Application.objects.values_list("status", flat=True))
        assert {"submitted", "accepted", "in_service", "rated", "subsidy_verified", "declined", "cancelled"} <= states
        assert Rating.objects.exists() and Rating.objects.exclude(reply="").exists()
        programme = SubsidyProgramme.objects.get()
        assert programme.consumed > 0 and programme.reserved >= 0
        assert FinancialProduct.objects.count() == 8
        assert set(LoanApplication.objects.values_list("status", flat=True)) >= {"submitted", "approved", "disbursed"}
        assert LoanApplication.objects.filter(loan_kind="first").exists()
    seed_all(seed=3, scale=0.3)  # idempotent
    with tenancy.tenant_scope(Tenant.objects.get(code="demo")):
        assert Category.objects.filter(parent=None).count() == 8
