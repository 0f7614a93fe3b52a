import logging

from qifu.core import health
from qifu.core.jobs_models import JobRun


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "queue": "ok"}


def test_readyz_names_what_failed_and_logs_why(client, db, monkeypatch, caplog):
    def broken():
        raise ConnectionError("connection refused by redis://cache.internal:6379")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    with caplog.at_level(logging.WARNING, logger="qifu.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert body["checks"] == {"database": "ok", "cache": "failed", "queue": "ok"}
    assert "cache" in body["message"]
    assert "cache.internal" not in response.content.decode()  # no exception text to the caller
    assert "cache.internal" in caplog.text  # it is in the log


def test_metrics_in_prometheus_format(client, db):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert "qifu_http_requests_total" in text
    assert 'route="healthz"' in text
    assert "qifu_http_request_duration_seconds_bucket" in text


def test_job_counts_come_from_the_runs_any_worker_recorded(client, db):
    # Rows as the Huey worker (another process) writes them.
    for status in ("success", "success", "failed", "retrying", "running"):
        JobRun.objects.create(job="policies.collect", status=status)
    text = client.get("/metrics").content.decode()
    assert 'qifu_tasks_total{outcome="success",task="policies.collect"} 2.0' in text
    assert 'qifu_tasks_total{outcome="failed",task="policies.collect"} 1.0' in text
    assert 'qifu_tasks_total{outcome="retrying",task="policies.collect"} 1.0' in text
    assert 'qifu_tasks_running{task="policies.collect"} 1.0' in text


def test_metrics_answer_local_scrapes_only_by_default(client, db):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 403 and refused.json()["code"] == "metrics.forbidden"
    # Relayed by a proxy nobody declared: its loopback address does not make the caller local.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403


def test_metrics_allow_list_and_token(client, db, settings):
    settings.QIFU_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.QIFU_METRICS_TOKEN = "t" * 32
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer " + "t" * 32).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    settings.QIFU_TRUSTED_PROXY_HOPS = 1  # behind one declared proxy: the client is the forwarded address
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403
