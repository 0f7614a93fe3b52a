"""The error shape, bad input, and limits — each leaves the database untouched."""

import logging

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.core.logging import RequestIdFilter
from qifu.core.testing import sweep


def test_unknown_api_route_gets_json_404_and_changes_nothing(api, cast):
    client = api(cast.staff_a)
    client.get("auth/me")  # the session's first-request bookkeeping
    before = sweep.database_snapshot()
    for path in ("/api/v1/no/such/thing", "/api", "/api/", "/api/v2/anything"):
        response = client.post(path, {"name": "x"})
        assert response.status_code == 404, path
        assert response.json()["code"] == "common.route_not_found"
        assert "接口不存在" in response.json()["message"]
    assert sweep.snapshot_changes(before, sweep.database_snapshot()) == []


def test_wrong_method_gets_the_json_405(api, cast):
    response = api(cast.staff_a).delete("platform/ping")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {
        "code": "request.method_not_allowed",
        "message": "该接口不支持此请求方法，可用的方法：GET",
        "detail": {"allowed": ["GET"]},
    }


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


def test_body_over_the_limit_is_413_and_changes_nothing(api, cast, settings):
    settings.QIFU_MAX_BODY_BYTES = 1024
    before = sweep.database_snapshot()
    response = api(None).post("auth/login", {"username": cast.staff_a.username, "password": "y" * 5000})
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"
    assert sweep.snapshot_changes(before, sweep.database_snapshot()) == []  # not even a failed-login row


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


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_unexpected_errors_are_500_without_a_stack_trace_and_logged_with_the_request_id(api, cast, monkeypatch):
    from qifu.core import api as core_api

    kept = _Kept()
    logging.getLogger("django.request").addHandler(kept)
    logging.getLogger("qifu.api").addHandler(kept)
    monkeypatch.setattr(core_api, "cache", None)  # site() will crash on None.get
    try:
        response = api(None).get("platform/site", HTTP_X_REQUEST_ID="trace-500-abcdef")
    finally:
        logging.getLogger("django.request").removeHandler(kept)
        logging.getLogger("qifu.api").removeHandler(kept)
    assert response.status_code == 500
    assert response.json()["code"] == "server.error"
    assert "Traceback" not in response.content.decode()
    by_logger = {r.name: r.request_id for r in kept.records}
    assert by_logger == {"qifu.api": "trace-500-abcdef", "django.request": "trace-500-abcdef"}


def test_page_size_is_capped(api, cast):
    response = api(cast.staff_a).get("access/enterprises", {"size": 500})
    assert response.status_code == 422
    ok = api(cast.staff_a).get("access/enterprises", {"size": 100})
    assert ok.status_code == 200
    assert set(ok.json()) == {"items", "total", "page", "size"}


def test_tenant_scope_is_closed_after_the_request(api, cast):
    api(None).get("platform/site")
    assert tenancy.scope_state() == "none"
