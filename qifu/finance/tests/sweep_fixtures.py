"""Access-sweep rows of financing: a bank's product and an enterprise's loan application
(see qifu.core.testing.sweep_world)."""

from __future__ import annotations

from qifu.core import permissions as P
from qifu.core.testing.sweep_world import fixture
from qifu.finance import services
from qifu.finance.models import LoanFile
from qifu.orgs import services as org_services
from qifu.orgs.models import Institution


def _bank(world):
    """The world's bank and its admin (financial products need a financial institution)."""
    if "bank" not in world.extras:
        bank = org_services.create_institution(
            name=f"{world.name} 巡检农商银行", kind="bank", parent=world.root, status=Institution.Status.APPROVED
        )
        world.person("bank-admin", "银行管理员", bank.organisation, P.INSTITUTION_ADMIN)
        world.extras["bank"] = bank
    return world.extras["bank"]


@fixture("finance.financialproduct")
def financial_product(world):
    return services.save_product(
        _bank(world),
        None,
        {
            "name": "巡检信用贷",
            "kind": "credit",
            "summary": "访问巡检用的金融产品",
            "min_amount": "100000.00",
            "max_amount": "1000000.00",
            "min_rate": "3.200",
            "max_rate": "4.500",
            "min_term": 6,
            "max_term": 36,
        },
    )


@fixture("finance.loanapplication")
def loan_application(world):
    product = world.row("finance.financialproduct")
    with world.acting(world.enterprise_owner):
        app = services.apply(
            enterprise=world.enterprise,
            product=product,
            data={
                "amount": "200000",
                "term_months": 12,
                "purpose": "购置设备",
                "contact_name": "张三",
                "contact_phone": "13800000000",
            },
        )
        item = LoanFile.objects.create(application=app, label="财务报表", file=world.upload(services.MATERIAL_PURPOSE))
    return app, {"file_id": item.pk}
