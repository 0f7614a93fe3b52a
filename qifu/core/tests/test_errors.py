"""The error shape, bad input, and limits — each leaves the database untouched."""

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry


def test_unknown_api_route_gets_json_404(api, cast):
    response = api(None).get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "common.route_not_found"
    assert "接口不存在" in response.json()["message"]


def test_unknown_page_gets_the_html_app(client, db):
    response = client.get("/some/page/nobody/made")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_malformed_json_is_400_and_changes_nothing(api, cast):
    before = AuditEntry.objects.count()
    response = api(None).post("auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "request.malformed_json"
    assert "JSON" in body["message"]
    assert AuditEntry.objects.count() == before


def test_validation_errors_are_422_with_chinese_field_messages(api, cast):
    response = api(None).post("auth/login", {"username": ""})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request.invalid"
    fields = body["detail"]["fields"]
    assert fields["password"] == ["必填项"]
    assert "username" in fields and "长度" in fields["username"][0]


def test_body_over_the_limit_is_413(api, cast, settings):
    settings.QIFU_MAX_BODY_BYTES = 1024
    response = api(None).post("auth/login", {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_unauthenticated_and_forbidden_shapes(api, cast):
    anonymous = api(None).get("access/enterprises")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"code": "auth.unauthenticated", "message": "请先登录", "detail": {}}
    denied = api(cast.no_role_user).get("access/enterprises")
    assert denied.status_code == 403
    assert denied.json()["code"] == "auth.forbidden"


def test_every_response_carries_a_request_id(api, cast):
    response = api(None).get("platform/ping")
    assert len(response["X-Request-ID"]) == 32
    echoed = api(None).get("platform/ping", HTTP_X_REQUEST_ID="trace-abc-12345")
    assert echoed["X-Request-ID"] == "trace-abc-12345"
    hostile = api(None).get("platform/ping", HTTP_X_REQUEST_ID="bad id\n<script>")
    assert hostile["X-Request-ID"] != "bad id\n<script>"


def test_unexpected_errors_are_500_without_a_stack_trace(api, cast, monkeypatch):
    from qifu.core import api as core_api

    monkeypatch.setattr(core_api, "cache", None)  # site() will crash on None.get
    response = api(None).get("platform/site")
    assert response.status_code == 500
    assert response.json()["code"] == "server.error"
    assert "Traceback" not in response.content.decode()


def test_page_size_is_capped(api, cast):
    response = api(cast.staff_a).get("access/enterprises", {"size": 500})
    assert response.status_code == 422
    ok = api(cast.staff_a).get("access/enterprises", {"size": 100})
    assert ok.status_code == 200
    assert set(ok.json()) == {"items", "total", "page", "size"}


def test_tenant_scope_is_closed_after_the_request(api, cast):
    api(None).get("platform/site")
    assert tenancy.scope_state() == "none"
