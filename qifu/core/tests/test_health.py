from qifu.core import health


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "queue": "ok"}


def test_readyz_names_what_failed(client, db, monkeypatch):
    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert "connection refused" in body["checks"]["cache"]
    assert body["checks"]["database"] == "ok"
    assert "cache" in body["message"]


def test_metrics_in_prometheus_format(client, db):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert "qifu_http_requests_total" in text
    assert 'route="healthz"' in text
    assert "qifu_http_request_duration_seconds_bucket" in text
