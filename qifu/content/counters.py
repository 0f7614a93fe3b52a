"""Live counters of the platform introduction (注册用户、服务机构、惠企政策 …).

A counter is shown only when the capability behind it exists, so the portal never shows a
number for something the platform does not do yet. Capabilities add their own counters
with ``register`` (e.g. appeals handled, when that capability lands); the built-in ones
below count what exists today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Sum


@dataclass(frozen=True)
class Counter:
    key: str
    label: str
    unit: str
    compute: Callable[[], int | Decimal]
    order: int = 100


REGISTRY: dict[str, Counter] = {}


def register(key: str, label: str, unit: str, *, order: int = 100, requires: tuple[str, ...] = ()):
    """Declare a counter; ``requires`` lists models ("app_label.Model") that must exist for it to show."""

    def decorate(func):
        if all(_model(label_) is not None for label_ in requires):
            REGISTRY[key] = Counter(key=key, label=label, unit=unit, compute=func, order=order)
        return func

    return decorate


def _model(label: str):
    app_label, name = label.split(".")
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def values() -> list[dict]:
    return [
        {"key": c.key, "label": c.label, "unit": c.unit, "value": c.compute()}
        for c in sorted(REGISTRY.values(), key=lambda c: (c.order, c.key))
    ]


@register("users", "注册用户", "人", order=10, requires=("accounts.User",))
def _users() -> int:
    from qifu.core import tenancy

    return _model("accounts.User").objects.filter(tenant=tenancy.current_tenant(), is_active=True).count()


@register("enterprises", "入驻企业", "家", order=20, requires=("orgs.Enterprise",))
def _enterprises() -> int:
    return _model("orgs.Enterprise").objects.count()


@register("loans", "放款金额", "万元", order=30, requires=("finance.LoanApplication",))
def _loans() -> Decimal:
    total = _model("finance.LoanApplication").objects.aggregate(s=Sum("disbursed_amount"))["s"] or Decimal(0)
    return (Decimal(total) / Decimal(10000)).quantize(Decimal("0.01"))


@register("institutions", "服务机构", "家", order=40, requires=("orgs.Institution",))
def _institutions() -> int:
    return _model("orgs.Institution").objects.filter(status="approved").count()


@register("policies", "惠企政策", "条", order=50, requires=("policies.Policy",))
def _policies() -> int:
    return _model("policies.Policy").objects.filter(status="published").count()


@register("financial_products", "金融产品", "个", order=60, requires=("finance.FinancialProduct",))
def _financial_products() -> int:
    return _model("finance.FinancialProduct").objects.filter(status="listed").count()


@register("service_products", "服务产品", "个", order=70, requires=("marketplace.Product",))
def _service_products() -> int:
    return _model("marketplace.Product").objects.filter(status="listed").count()
