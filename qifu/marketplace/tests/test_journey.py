"""The whole journey across the three sides, and who may make which move."""

from __future__ import annotations

from decimal import Decimal

from django.test.client import MULTIPART_CONTENT

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.marketplace.models import Application, SubsidyProgramme
from qifu.marketplace.tests.conftest import apply, pdf
from qifu.messaging.models import Message


def _programme(cast, pk):
    with tenancy.tenant_scope(cast.tenant):
        return SubsidyProgramme.objects.get(pk=pk)


def test_full_journey_with_subsidy(cast, api, market):
    owner, operator, staff = api(cast.enterprise_owner), api(cast.institution_operator), api(cast.staff_a)
    app = apply(owner, market.product)
    assert app["status"] == "submitted" and app["actions"] == ["cancel"]
    pk = app["id"]

    # The institution accepts: a subsidy of 50 % capped at 800 is reserved.
    r = operator.post(f"marketplace/institution/applications/{pk}/accept", {"note": "已安排律师"})
    assert r.status_code == 200, r.content
    assert r.json()["subsidy_status"] == "reserved" and Decimal(r.json()["subsidy_amount"]) == Decimal("800.00")
    assert _programme(cast, market.programme.pk).reserved == Decimal("800.00")

    assert operator.post(f"marketplace/institution/applications/{pk}/start", {}).status_code == 200
    # Completing needs evidence first.
    r = operator.post(f"marketplace/institution/applications/{pk}/complete", {})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.evidence_required"
    r = operator.post(
        f"marketplace/institution/applications/{pk}/evidence",
        {"file": pdf("服务报告.pdf"), "label": "服务报告"},
        content_type=MULTIPART_CONTENT,
    )
    assert r.status_code == 201, r.content
    file_id = r.json()["id"]
    assert operator.post(f"marketplace/institution/applications/{pk}/complete", {}).status_code == 200

    # Every side sees the evidence; an unrelated enterprise does not.
    assert owner.get(f"marketplace/applications/{pk}/files/{file_id}").status_code == 200
    assert staff.get(f"marketplace/applications/{pk}/files/{file_id}").status_code == 200
    assert api(market.owner_b).get(f"marketplace/applications/{pk}/files/{file_id}").status_code == 404
    assert api(cast.staff_b).get(f"marketplace/applications/{pk}/files/{file_id}").status_code == 404

    r = owner.post(f"marketplace/my/applications/{pk}/confirm", {})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert r.json()["survey"]["prompt"] == "请评价律师的专业程度"
    r = owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 5, "reasons": ["专业"], "comment": "很好"})
    assert r.status_code == 200 and r.json()["status"] == "rated", r.content

    detail = staff.get(f"marketplace/applications/{pk}").json()
    assert detail["actions"] == ["verify_subsidy", "refuse_subsidy"]
    assert staff.get("marketplace/subsidies").json()["total"] == 1
    r = staff.post(f"marketplace/subsidies/{pk}/verify", {"note": "材料齐全"})
    assert r.status_code == 200 and r.json()["status"] == "subsidy_verified"
    programme = _programme(cast, market.programme.pk)
    assert (programme.reserved, programme.consumed) == (Decimal("0.00"), Decimal("800.00"))

    # The timeline is the same for all three sides.
    steps = [e["action"] for e in owner.get(f"marketplace/my/applications/{pk}").json()["events"]]
    assert steps == ["submit", "accept", "start", "complete", "confirm", "rate", "verify_subsidy"]
    assert [e["action"] for e in operator.get(f"marketplace/institution/applications/{pk}").json()["events"]] == steps
    with tenancy.tenant_scope(cast.tenant):
        actions = set(
            AuditEntry.objects.filter(object_type="marketplace.application", object_id=str(pk)).values_list(
                "action", flat=True
            )
        )
    assert {"marketplace.application.accept", "marketplace.application.verify_subsidy"} <= actions

    # Ratings aggregate on the product and appear publicly.
    product = api(None).get(f"marketplace/products/{market.product.pk}").json()
    assert product["rating_count"] == 1 and Decimal(product["rating_average"]) == Decimal("5.0")
    assert product["institution_rating_count"] == 1


def test_each_move_only_by_its_side(cast, api, market):
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    # The enterprise cannot accept its own application (no permission for the institution side).
    assert owner.post(f"marketplace/institution/applications/{pk}/accept", {}).status_code == 403
    # Another institution cannot see or accept it.
    other = api(market.other_admin)
    assert other.post(f"marketplace/institution/applications/{pk}/accept", {}).status_code == 404
    assert other.get(f"marketplace/institution/applications/{pk}").status_code == 404
    # Another enterprise cannot cancel or see it.
    assert api(market.owner_b).post(f"marketplace/my/applications/{pk}/cancel", {"reason": "x"}).status_code == 404
    # Staff of another town do not see it; staff of its town do.
    assert api(cast.staff_b).get(f"marketplace/applications/{pk}").status_code == 404
    assert api(cast.staff_a).get(f"marketplace/applications/{pk}").status_code == 200
    # The institution cannot confirm (enterprise side).
    assert operator.post(f"marketplace/my/applications/{pk}/confirm", {}).status_code == 403
    # Wrong state: confirming a submitted application is refused and changes nothing.
    r = owner.post(f"marketplace/my/applications/{pk}/confirm", {})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.application_state"
    with tenancy.tenant_scope(cast.tenant):
        assert Application.objects.get(pk=pk).status == "submitted"


def test_double_accept_is_refused(cast, api, market):
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    assert operator.post(f"marketplace/institution/applications/{pk}/accept", {}).status_code == 200
    r = operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    assert r.status_code == 422
    assert _programme(cast, market.programme.pk).reserved == Decimal("800.00")


def test_enterprise_member_sees_only_own_applications(cast, api, market):
    from qifu.access.services import assign_role
    from qifu.accounts.models import User
    from qifu.core import permissions as P
    from qifu.orgs import services as org_services

    with tenancy.tenant_scope(cast.tenant):
        member = User.objects.create_user(
            username="ent-member", password=cast.password, name="王五", phone="13900000013", tenant=cast.tenant
        )
        org_services.add_member(member, cast.enterprise_a.organisation, is_default=True)
        assign_role(member, cast.enterprise_a.organisation, cast.roles[P.ENTERPRISE_MEMBER])
    owners_app = apply(api(cast.enterprise_owner), market.product)["id"]
    staff_view = api(member)
    assert staff_view.get("marketplace/my/applications").json()["total"] == 0
    assert staff_view.get(f"marketplace/my/applications/{owners_app}").status_code == 404
    # The owner (organisation scope) sees it.
    assert api(cast.enterprise_owner).get("marketplace/my/applications").json()["total"] == 1
    # After the owner withdraws, the member applies and sees exactly their own application.
    api(cast.enterprise_owner).post(f"marketplace/my/applications/{owners_app}/cancel", {"reason": "改由员工办理"})
    own = apply(staff_view, market.product)["id"]
    assert [a["id"] for a in staff_view.get("marketplace/my/applications").json()["items"]] == [own]
    assert api(cast.enterprise_owner).get("marketplace/my/applications").json()["total"] == 2


def test_each_side_is_notified(cast, api, market):
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    operator.post(f"marketplace/institution/applications/{pk}/decline", {"reason": "超出服务范围"})
    with tenancy.tenant_scope(cast.tenant):
        to_institution = Message.objects.filter(user=cast.institution_admin, event="marketplace.application.submitted")
        assert to_institution.count() == 1 and market.product.name in to_institution.get().body
        assert Message.objects.filter(
            user=cast.institution_operator, event="marketplace.application.submitted"
        ).exists()
        declined = Message.objects.get(user=cast.enterprise_owner, event="marketplace.application.progress")
        assert "已拒绝" in declined.body and "超出服务范围" in declined.body
        # Nobody outside the three sides hears about it.
        assert not Message.objects.filter(user__in=[market.other_admin, market.owner_b, cast.staff_b]).exists()


def test_reviews_and_verification_need_the_government_side(cast, api, market):
    from qifu.marketplace.tests.conftest import PRODUCT

    inst = api(cast.institution_admin)
    created = inst.post(
        "marketplace/institution/products", {**PRODUCT, "name": "自审产品", "category_id": market.contract.pk}
    )
    revision = created.json()["pending_revision"]["id"]
    # An institution cannot approve its own product; an enterprise cannot either.
    assert inst.post(f"marketplace/reviews/{revision}", {"decision": "approve"}).status_code == 403
    assert (
        api(cast.enterprise_owner).post(f"marketplace/reviews/{revision}", {"decision": "approve"}).status_code == 403
    )

    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    for step in ("accept", "start"):
        operator.post(f"marketplace/institution/applications/{pk}/{step}", {})
    operator.post(
        f"marketplace/institution/applications/{pk}/evidence", {"file": pdf()}, content_type=MULTIPART_CONTENT
    )
    operator.post(f"marketplace/institution/applications/{pk}/complete", {})
    owner.post(f"marketplace/my/applications/{pk}/confirm", {})
    owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 5})
    # Neither the enterprise nor the institution can verify; staff of another town cannot see it.
    assert owner.post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 403
    assert operator.post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 403
    assert api(cast.staff_b).post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 404
    assert api(cast.staff_b).get("marketplace/subsidies").json()["total"] == 0
    with tenancy.tenant_scope(cast.tenant):
        assert Application.objects.get(pk=pk).subsidy_status == "reserved"
    assert api(cast.staff_a).post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 200
    # Verifying twice is refused.
    assert api(cast.staff_a).post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 422
