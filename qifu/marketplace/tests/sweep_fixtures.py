"""Access-sweep rows of the service marketplace (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from qifu.core.testing.sweep_world import fixture
from qifu.marketplace.models import ApplicationFile, Category, Rating
from qifu.marketplace.services import applications as services
from qifu.marketplace.services import catalogue, subsidies


@fixture("marketplace.category")
def category(world):
    return Category.objects.create(
        code="sweep", name="巡检服务", rating_prompt="请评价", positive_reasons=["专业"], negative_reasons=["慢"]
    )


@fixture("marketplace.product")
def product(world):
    # Submitted by the world's institution and approved: listed, so public reads reach it.
    created = catalogue.create_product(
        world.institution,
        {
            "name": "巡检法律咨询",
            "summary": "访问巡检用的服务产品",
            "is_free": False,
            "price": "500.00",
            "category_id": world.row("marketplace.category").pk,
            "subsidy_eligible": True,
        },
    )
    catalogue.approve_revision(created.revisions.get())
    created.refresh_from_db()
    return created


@fixture("marketplace.productrevision")
def product_revision(world):
    return world.row("marketplace.product").revisions.order_by("id").first()


@fixture("marketplace.subsidyprogramme")
def subsidy_programme(world):
    return subsidies.save_programme(
        None,
        {
            "name": "巡检服务补贴",
            "budget": Decimal("10000"),
            "starts_on": dt.date(2020, 1, 1),
            "ends_on": dt.date(2099, 12, 31),
            "category_ids": [world.row("marketplace.category").pk],
            "mode": "ratio",
            "ratio": Decimal("0.5"),
        },
    )


@fixture("marketplace.application")
def application(world):
    """The world's enterprise applies for the world's product; the institution adds a proof of service."""
    product = world.row("marketplace.product")
    with world.acting(world.enterprise_owner):
        app = services.apply(
            enterprise=world.enterprise,
            product=product,
            data={"contact_name": "张三", "contact_phone": "13800000000", "note": "巡检"},
        )
    with world.acting(world.institution_admin):
        stored = world.upload(services.EVIDENCE_PURPOSE)
        item = ApplicationFile.objects.create(
            application=app, kind=ApplicationFile.Kind.EVIDENCE, label="服务证明", file=stored
        )
    return app, {"file_id": item.pk}


@fixture("marketplace.rating")
def rating(world):
    app = world.row("marketplace.application")
    return Rating.objects.create(
        application=app, product=app.product, institution=app.institution, enterprise=app.enterprise, score=5
    )
