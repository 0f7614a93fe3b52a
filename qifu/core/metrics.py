"""Prometheus metrics.

HTTP figures are counted in the process that served the request: each gunicorn worker keeps its
own registry unless PROMETHEUS_MULTIPROC_DIR is set, in which case the workers of one host share
files (docs/deployment.md). Background jobs run in another process (the Huey worker, often on
another host), so their figures are not counted in memory at all: they are read at scrape time
from the JobRun rows every worker writes, which makes them the same — and complete — whichever
web process answers the scrape.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger("qifu.metrics")

REQUESTS = Counter("qifu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "qifu_http_request_duration_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


class JobRunCollector:
    """``qifu_tasks_total{task,outcome}`` and ``qifu_tasks_running{task}`` from the JobRun table.

    Outcomes: ``success``, ``failed`` (no retries left), ``retrying`` (an attempt failed, another
    is queued). Every web process reports the same database totals: aggregate them with ``max``,
    not ``sum``."""

    def describe(self):
        # Names only: the registry asks at registration time, when there may be no database yet.
        yield CounterMetricFamily(
            "qifu_tasks", "Background job runs by outcome (from JobRun)", labels=["task", "outcome"]
        )
        yield GaugeMetricFamily("qifu_tasks_running", "Background job runs in progress", labels=["task"])

    def collect(self):
        from django.db import DatabaseError
        from django.db.models import Count

        from qifu.core.jobs_models import JobRun

        done = CounterMetricFamily(
            "qifu_tasks", "Background job runs by outcome (from JobRun)", labels=["task", "outcome"]
        )
        running = GaugeMetricFamily("qifu_tasks_running", "Background job runs in progress", labels=["task"])
        try:
            rows = list(JobRun.objects.order_by().values_list("job", "status").annotate(n=Count("id")))
        except DatabaseError:
            logger.warning("job metrics unavailable: the JobRun table could not be read", exc_info=True)
            return
        for job, status, n in sorted(rows):
            if status == JobRun.Status.RUNNING:
                running.add_metric([job], n)
            else:
                done.add_metric([job, status], n)
        yield done
        yield running


JOB_RUNS = JobRunCollector()
DEFAULT_REGISTRY.register(JOB_RUNS)


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(JOB_RUNS)
        return generate_latest(registry)
    return generate_latest(DEFAULT_REGISTRY)
