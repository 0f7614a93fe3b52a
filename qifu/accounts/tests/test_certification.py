"""Enterprise real-name certification: validation, consent, registry adapter (against a local
HTTP server), staff review (approve / reject / more material), disputes, scopes, tenants."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from qifu.access.services import assign_role
from qifu.accounts import certification
from qifu.accounts.models import CertificationApplication, Consent
from qifu.core import permissions as P
from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.orgs import services as org_services
from qifu.orgs.codes import make_credit_code
from qifu.orgs.models import Enterprise

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CODE = make_credit_code("9", "1", "320505", "MA7QK2LR")
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def new_enterprise(cast):
    """A freshly registered (uncertified) enterprise in tenant alpha, with its owner."""
    from qifu.accounts.models import User

    with tenancy.tenant_scope(cast.tenant):
        enterprise = org_services.create_enterprise(name="甲区新创智能科技有限公司", parent=cast.root)
        owner = User.objects.create_user(
            username="new-owner", password=cast.password, name="李四", phone="13611110001", tenant=cast.tenant
        )
        org_services.add_member(owner, enterprise.organisation, is_default=True)
        assign_role(owner, enterprise.organisation, cast.roles[P.ENTERPRISE_OWNER])
    return enterprise, owner


def form(cast, **changes):
    data = {
        "company_name": "甲区新创智能科技有限公司",
        "credit_code": CODE,
        "legal_rep_name": "李四",
        "legal_rep_id_number": ID_NUMBER,
        "town_id": cast.town_a.id,
        "consent": "true",
        "consent_version": certification.CURRENT_CONSENT_VERSION,
        "licence": SimpleUploadedFile("执照.pdf", PDF, content_type="application/pdf"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def submit(c, data):
    return c.post("auth/certification", data, content_type=MULTIPART_CONTENT)


def counts(cast):
    with tenancy.tenant_scope(cast.tenant):
        return CertificationApplication.objects.count(), Consent.objects.count()


class Registry(BaseHTTPRequestHandler):
    answer: dict = {}
    status = 200
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((body, self.headers.get("Authorization")))
        payload = json.dumps(type(self).answer, ensure_ascii=False).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def registry(settings):
    server = HTTPServer(("127.0.0.1", 0), Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Registry.seen = []
    Registry.status = 200
    settings.QIFU_REGISTRY_URL = f"http://127.0.0.1:{server.server_port}/verify"
    settings.QIFU_REGISTRY_TOKEN = "registry-token"
    yield Registry
    server.shutdown()
    server.server_close()


def test_submission_without_registry_goes_to_staff_review(cast, api, new_enterprise):
    c = api(new_enterprise[1])
    response = submit(c, form(cast))
    assert response.status_code == 200, response.json()
    body = response.json()
    app = body["application"]
    assert body["certification"] == "pending"
    assert app["status"] == "pending_review"
    assert app["legal_rep_id_number"] == "110***********002X"  # masked
    assert [e["to_status"] for e in app["events"]] == ["submitted", "pending_review"]
    with tenancy.tenant_scope(cast.tenant):
        stored = CertificationApplication.objects.get()
        consent = Consent.objects.get()
    assert stored.legal_rep_id_number == ID_NUMBER  # readable by the platform, encrypted at rest
    assert certification.consent_is_intact(consent) and consent.text_version == "2026-01"


def test_id_number_is_encrypted_at_rest(cast, api, new_enterprise):
    from django.db import connection

    submit(api(new_enterprise[1]), form(cast))
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_id_number FROM accounts_certificationapplication")
        raw = cursor.fetchone()[0]
    assert ID_NUMBER not in raw


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}, "credit_code"),
        ({"credit_code": CODE[:10] + "Z" + CODE[11:]}, "credit_code"),
        ({"legal_rep_id_number": ID_NUMBER[:-1] + "1"}, "legal_rep_id_number"),
        ({"consent": "false"}, "consent"),
        ({"consent_version": "2020-01"}, "consent_version"),
        ({"town_id": "987654"}, "town_id"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(cast, api, new_enterprise, changes, field):
    response = submit(api(new_enterprise[1]), form(cast, **changes))
    assert response.status_code == 422
    assert field in response.json()["detail"]["fields"]
    assert counts(cast) == (0, 0)
    with tenancy.tenant_scope(cast.tenant):
        assert Enterprise.objects.get(pk=new_enterprise[0].pk).certification == "none"


def test_another_tenants_town_is_refused(cast, api, new_enterprise):
    with tenancy.tenant_scope(cast.other_tenant):
        other_town = org_services.create_organisation(name="乙镇", kind="town")
    response = submit(api(new_enterprise[1]), form(cast, town_id=str(other_town.id)))
    assert response.status_code == 422


def test_licence_type_is_sniffed_from_content(cast, api, new_enterprise):
    fake = SimpleUploadedFile("执照.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = submit(api(new_enterprise[1]), form(cast, licence=fake))
    assert response.status_code == 415
    assert counts(cast) == (0, 0)


def test_oversized_licence_is_refused(cast, api, new_enterprise, settings):
    settings.QIFU_MAX_UPLOAD_BYTES = 2048
    big = SimpleUploadedFile("执照.pdf", PDF + b"0" * 4096, content_type="application/pdf")
    response = submit(api(new_enterprise[1]), form(cast, licence=big))
    assert response.status_code == 413
    assert counts(cast) == (0, 0)


def test_staff_approve_and_the_enterprise_sees_it(cast, api, new_enterprise):
    enterprise, owner = new_enterprise
    c = api(owner)
    app_id = submit(c, form(cast)).json()["application"]["id"]
    staff = api(cast.staff_a)
    queue = staff.get("auth/certifications", {"status": "pending_review"}).json()
    assert [a["id"] for a in queue["items"]] == [app_id]
    assert b"".join(staff.get(f"auth/certifications/{app_id}/licence").streaming_content) == PDF
    approved = staff.post(f"auth/certifications/{app_id}/approve", {"note": "材料齐全"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    mine = c.get("auth/certification").json()
    assert mine["certification"] == "certified" and mine["certified_at"]
    assert [e["to_status"] for e in mine["application"]["events"]][-1] == "approved"
    with tenancy.tenant_scope(cast.tenant):
        enterprise.refresh_from_db()
        assert enterprise.credit_code == CODE and enterprise.legal_rep_id_number == ID_NUMBER
        assert enterprise.town_id == cast.town_a.id
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "identity.certification.submit",
        "identity.certification.pending_review",
        "identity.certification.approved",
        "orgs.enterprise.certify",
    } <= actions
    # Approving again is not a valid transition.
    assert staff.post(f"auth/certifications/{app_id}/approve", {}).status_code == 422
    assert submit(c, form(cast)).status_code == 409  # already certified


def test_reject_needs_a_reason_and_the_enterprise_sees_it(cast, api, new_enterprise):
    c = api(new_enterprise[1])
    app_id = submit(c, form(cast)).json()["application"]["id"]
    staff = api(cast.staff_a)
    assert staff.post(f"auth/certifications/{app_id}/reject", {"reason": " "}).status_code == 422
    rejected = staff.post(f"auth/certifications/{app_id}/reject", {"reason": "营业执照照片模糊"})
    assert rejected.json()["status"] == "rejected"
    mine = c.get("auth/certification").json()
    assert mine["certification"] == "rejected" and mine["application"]["reason"] == "营业执照照片模糊"
    # The submitter is told in the message centre (and by SMS after commit).
    from qifu.messaging.models import Message

    with tenancy.tenant_scope(cast.tenant):
        message = Message.objects.get(user=new_enterprise[1])
    assert message.event == "identity.certification.decided" and "营业执照照片模糊" in message.body
    # A rejected enterprise may apply again.
    assert submit(c, form(cast)).json()["application"]["status"] == "pending_review"


def test_request_more_material_then_resubmit(cast, api, new_enterprise):
    c = api(new_enterprise[1])
    app_id = submit(c, form(cast)).json()["application"]["id"]
    staff = api(cast.staff_a)
    staff.post(f"auth/certifications/{app_id}/request-more", {"reason": "请上传加盖公章的执照复印件"})
    mine = c.get("auth/certification").json()
    assert mine["certification"] == "more_info" and "公章" in mine["application"]["reason"]
    assert submit(c, form(cast)).status_code == 200  # another open application is not created
    again = c.get("auth/certification").json()["application"]
    assert again["id"] == app_id and again["status"] == "pending_review"
    assert [e["to_status"] for e in again["events"]] == ["submitted", "pending_review", "more_info", "pending_review"]


def test_open_application_blocks_a_second(cast, api, new_enterprise):
    c = api(new_enterprise[1])
    submit(c, form(cast))
    assert submit(c, form(cast)).status_code == 409
    assert counts(cast)[0] == 1


def test_other_town_staff_and_other_tenants_cannot_see_or_decide(cast, api, new_enterprise):
    app_id = submit(api(new_enterprise[1]), form(cast)).json()["application"]["id"]
    staff_b = api(cast.staff_b)
    assert staff_b.get("auth/certifications").json()["total"] == 0
    assert staff_b.get(f"auth/certifications/{app_id}").status_code == 404
    assert staff_b.post(f"auth/certifications/{app_id}/approve", {}).status_code == 404
    outsider = api(cast.outsider)
    assert outsider.get(f"auth/certifications/{app_id}").status_code == 404
    assert outsider.post(f"auth/certifications/{app_id}/approve", {}).status_code == 404
    assert api(cast.enterprise_owner).get("auth/certifications").status_code == 403
    assert api(cast.tenant_admin).get("auth/certifications").json()["total"] == 1
    with tenancy.tenant_scope(cast.tenant):
        assert CertificationApplication.objects.get().status == "pending_review"


def test_a_second_claim_on_a_certified_code_is_a_dispute(cast, api, new_enterprise):
    # enterprise_a already holds its code as certified; the newcomer claims the same code.
    claimed = cast.enterprise_a.credit_code
    c = api(new_enterprise[1])
    app = submit(c, form(cast, credit_code=claimed)).json()["application"]
    assert app["status"] == "pending_review" and app["is_dispute"] is True
    staff = api(cast.staff_a)
    plain = staff.post(f"auth/certifications/{app['id']}/approve", {})
    assert plain.status_code == 422 and plain.json()["code"] == "identity.certification_dispute"
    resolved = staff.post(f"auth/certifications/{app['id']}/approve", {"revoke_other": True})
    assert resolved.status_code == 200
    with tenancy.tenant_scope(cast.tenant):
        cast.enterprise_a.refresh_from_db()
        assert cast.enterprise_a.certification == "none"
        assert Enterprise.objects.filter(credit_code=claimed, certification="certified").count() == 1


def test_registry_match_certifies_at_once(cast, api, new_enterprise, registry):
    registry.answer = {"found": True, "name": "甲区新创智能科技有限公司", "legal_rep_name": "李四", "status": "存续"}
    body = submit(api(new_enterprise[1]), form(cast)).json()
    assert body["certification"] == "certified"
    assert body["application"]["verification"]["result"] == "match"
    assert registry.seen == [({"credit_code": CODE}, "Bearer registry-token")]


def test_registry_mismatch_rejects_with_the_reason(cast, api, new_enterprise, registry):
    registry.answer = {"found": True, "name": "甲区别的公司", "legal_rep_name": "李四", "status": "存续"}
    body = submit(api(new_enterprise[1]), form(cast)).json()
    assert body["certification"] == "rejected"
    assert "企业名称与登记信息不一致" in body["application"]["reason"]


def test_registry_cancelled_company_is_rejected(cast, api, new_enterprise, registry):
    registry.answer = {"found": True, "name": "甲区新创智能科技有限公司", "legal_rep_name": "李四", "status": "注销"}
    assert submit(api(new_enterprise[1]), form(cast)).json()["certification"] == "rejected"


def test_registry_failure_falls_back_to_staff_review(cast, api, new_enterprise, registry):
    registry.status = 503
    registry.answer = {"error": "down"}
    body = submit(api(new_enterprise[1]), form(cast)).json()
    assert body["application"]["status"] == "pending_review"
    assert body["application"]["verification"]["result"] == "unavailable"


def test_registry_unreachable_falls_back_to_staff_review(cast, api, new_enterprise, settings):
    settings.QIFU_REGISTRY_URL = "http://127.0.0.1:9/verify"  # discard port: connection refused
    settings.QIFU_REGISTRY_TIMEOUT_SECONDS = 1
    assert submit(api(new_enterprise[1]), form(cast)).json()["application"]["status"] == "pending_review"


def test_dispute_skips_the_registry(cast, api, new_enterprise, registry):
    registry.answer = {"found": True, "name": "甲区新创智能科技有限公司", "legal_rep_name": "李四", "status": "存续"}
    body = submit(api(new_enterprise[1]), form(cast, credit_code=cast.enterprise_a.credit_code)).json()
    assert body["application"]["status"] == "pending_review" and registry.seen == []


def test_only_enterprise_owners_apply_and_only_for_their_enterprise(cast, api, new_enterprise):
    assert submit(api(cast.staff_a), form(cast)).status_code == 403
    # Another tenant's admin acts for their own root, not for any enterprise of this tenant.
    assert api(cast.outsider).get("auth/certification").json()["code"] == "identity.not_enterprise"
    # The owner of enterprise_a sees only enterprise_a's state.
    mine = api(cast.enterprise_owner).get("auth/certification").json()
    assert mine["enterprise_id"] == cast.enterprise_a.id and mine["application"] is None


# --- disputes that arise after submission (audit of issue 3) ------------------------------------------


@pytest.fixture
def rival_enterprise(cast):
    """A second uncertified enterprise in town A whose owner will claim the same code."""
    from qifu.accounts.models import User

    with tenancy.tenant_scope(cast.tenant):
        enterprise = org_services.create_enterprise(name="甲区新创智能科技有限公司", parent=cast.root)
        owner = User.objects.create_user(
            username="rival-owner", password=cast.password, name="王五", phone="13611110002", tenant=cast.tenant
        )
        org_services.add_member(owner, enterprise.organisation, is_default=True)
        assign_role(owner, enterprise.organisation, cast.roles[P.ENTERPRISE_OWNER])
    return enterprise, owner


def test_a_claim_becomes_a_dispute_when_a_competing_claim_is_certified(cast, api, new_enterprise, rival_enterprise):
    first = submit(api(new_enterprise[1]), form(cast)).json()["application"]
    second = submit(api(rival_enterprise[1]), form(cast, legal_rep_name="王五")).json()["application"]
    assert first["is_dispute"] is False and second["is_dispute"] is False  # nobody holds the code yet
    staff = api(cast.staff_a)
    assert staff.post(f"auth/certifications/{first['id']}/approve", {}).status_code == 200
    # The other claim is a dispute now: the queue and the detail say so, so the console offers
    # 撤销原认证并通过, and a plain approval is refused with the dispute's own message.
    queue = {a["id"]: a for a in staff.get("auth/certifications", {"status": "pending_review"}).json()["items"]}
    assert queue[second["id"]]["is_dispute"] is True
    assert staff.get(f"auth/certifications/{second['id']}").json()["is_dispute"] is True
    plain = staff.post(f"auth/certifications/{second['id']}/approve", {})
    assert plain.status_code == 422 and plain.json()["code"] == "identity.certification_dispute"
    resolved = staff.post(f"auth/certifications/{second['id']}/approve", {"revoke_other": True})
    assert resolved.status_code == 200 and resolved.json()["is_dispute"] is False
    # And the claim whose certification was revoked is history, not an open dispute.
    assert staff.get(f"auth/certifications/{first['id']}").json()["status"] == "revoked"


def _submitted(cast, enterprise, owner):
    """An application straight from the service: 'submitted', the registry not yet asked."""
    with tenancy.tenant_scope(cast.tenant):
        data = form(cast)
        licence = data.pop("licence")
        data["consent"] = True
        return certification.submit(user=owner, enterprise=enterprise, data=data, licence_upload=licence)


def _certify_rival(cast, rival):
    from qifu.orgs import identity_services

    with tenancy.tenant_scope(cast.tenant):
        identity_services.certify(rival, credit_code=CODE, legal_rep_name="王五", legal_rep_id_number=ID_NUMBER)


def test_registry_match_after_a_competing_certification_goes_to_review(
    cast, new_enterprise, rival_enterprise, registry
):
    registry.answer = {"found": True, "name": "甲区新创智能科技有限公司", "legal_rep_name": "李四", "status": "存续"}
    app = _submitted(cast, *new_enterprise)
    assert app.status == "submitted"
    _certify_rival(cast, rival_enterprise[0])  # certified while this one waited for the registry
    with tenancy.tenant_scope(cast.tenant):
        app = certification.run_verification(app)
        assert app.status == "pending_review" and app.is_dispute and certification.is_dispute(app)
        new_enterprise[0].refresh_from_db()
        assert new_enterprise[0].certification == "pending"
        assert Enterprise.objects.filter(credit_code=CODE, certification="certified").count() == 1


def test_simultaneous_registry_approvals_do_not_hit_the_constraint(
    cast, new_enterprise, rival_enterprise, registry, monkeypatch
):
    """The competitor commits between our holder check and our write: the unique constraint
    decides, and this claim goes to review instead of failing with a 500."""
    from qifu.orgs import identity_services

    registry.answer = {"found": True, "name": "甲区新创智能科技有限公司", "legal_rep_name": "李四", "status": "存续"}
    app = _submitted(cast, *new_enterprise)
    _certify_rival(cast, rival_enterprise[0])
    monkeypatch.setattr(identity_services, "certified_holder", lambda code, exclude_id=None: None)
    with tenancy.tenant_scope(cast.tenant):
        app = certification.run_verification(app)
        app.refresh_from_db()
        assert app.status == "pending_review" and app.is_dispute
        assert [e.to_status for e in app.events.order_by("id")] == ["submitted", "pending_review"]
        assert Enterprise.objects.filter(credit_code=CODE, certification="certified").count() == 1


# --- field rules on derived values -----------------------------------------------------------------
def test_the_dispute_flag_is_withheld_with_the_credit_code(cast, api, new_enterprise):
    """``is_dispute`` says another enterprise is certified under this credit code: with the code
    hidden or masked for the reviewer's role it reads false (unknown), in the queue and the detail."""
    from qifu.core.testing.views import set_field_rules

    app = submit(api(new_enterprise[1]), form(cast, credit_code=cast.enterprise_a.credit_code)).json()["application"]
    staff = api(cast.staff_a)

    def flags():
        queue = {i["id"]: i for i in staff.get("auth/certifications").json()["items"]}
        return queue[app["id"]]["is_dispute"], staff.get(f"auth/certifications/{app['id']}").json()["is_dispute"]

    assert flags() == (True, True)
    for rule in ("hidden", "masked"):
        set_field_rules(cast, P.DISTRICT_STAFF, {"accounts.certificationapplication": {"credit_code": rule}})
        assert flags() == (False, False)
    set_field_rules(cast, P.DISTRICT_STAFF, {"accounts.certificationapplication": {"company_name": "hidden"}})
    assert flags() == (True, True)


def test_the_registry_answer_is_withheld_with_what_it_was_asked(cast, api, new_enterprise, registry):
    """The registry's answer repeats the name and legal representative it holds and says whether ours
    match: with the credit code, the company name or the legal representative withheld it is empty."""
    from qifu.core.testing.views import set_field_rules

    registry.answer = {"found": True, "name": "甲区别的公司", "legal_rep_name": "王五", "status": "存续"}
    app = submit(api(new_enterprise[1]), form(cast)).json()["application"]
    staff = api(cast.staff_a)

    def verification():
        detail = staff.get(f"auth/certifications/{app['id']}").json()["verification"]
        listed = {i["id"]: i for i in staff.get("auth/certifications", {"status": "rejected"}).json()["items"]}
        assert listed[app["id"]]["verification"] == detail
        return detail

    assert verification()["registry"]["legal_rep_name"] == "王五"
    for field in ("credit_code", "company_name", "legal_rep_name"):
        for rule in ("hidden", "masked"):
            set_field_rules(cast, P.DISTRICT_STAFF, {"accounts.certificationapplication": {field: rule}})
            assert verification() == {}, (field, rule)
    set_field_rules(cast, P.DISTRICT_STAFF, {"accounts.certificationapplication": {"reason": "hidden"}})
    assert verification()["result"] == "mismatch"
