"""Prometheus metrics. Each worker process keeps its own registry unless
PROMETHEUS_MULTIPROC_DIR is set, in which case gunicorn workers share files (docs/deployment.md)."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("qifu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "qifu_http_request_duration_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("qifu_tasks_total", "Background task executions", ["task", "outcome"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def observe_task(task: str, outcome: str) -> None:
    TASKS.labels(task, outcome).inc()


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(DEFAULT_REGISTRY)
