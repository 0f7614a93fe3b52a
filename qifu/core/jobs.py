"""The job registry: only named, registered handlers run in the background.

    @jobs.register("messaging.deliver", retries=3, retry_delay=30)
    def deliver(message_id: int) -> str: ...

    jobs.enqueue("messaging.deliver", tenant, message_id=42)

``register`` wraps the function as a Huey task that opens the tenant's scope,
records a JobRun (status, duration, output, error, attempt) and re-raises so
Huey retries with its delay. ``schedule=crontab(...)`` makes it periodic: a
periodic job runs once per active tenant.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from qifu.core import requestinfo, tenancy
from qifu.core.jobs_models import JobRun


@dataclass
class Job:
    name: str
    func: Callable[..., Any]
    task: Any
    retries: int
    retry_delay: int
    schedule: Any = None
    label: str = ""


REGISTRY: dict[str, Job] = {}


def _run(name: str, func, tenant_id: int | None, kwargs: dict, task=None) -> Any:
    from qifu.core.models import Tenant

    attempt = 1
    if task is not None and REGISTRY[name].retries:
        attempt = REGISTRY[name].retries - (task.retries or 0) + 1
    tenant = Tenant.objects.get(pk=tenant_id) if tenant_id else None
    run = JobRun.objects.create(job=name, tenant=tenant, task_id=getattr(task, "id", "") or "", attempt=attempt)
    started = time.perf_counter()
    try:
        with requestinfo.acting(request_id=f"job-{run.pk}"):
            if tenant is not None:
                with tenancy.tenant_scope(tenant):
                    result = func(**kwargs)
            else:
                result = func(**kwargs)
    except Exception as exc:
        final = task is None or not task.retries
        run.status = JobRun.Status.FAILED if final else JobRun.Status.RETRYING
        run.error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc()[-4000:]}"
        raise
    else:
        run.status = JobRun.Status.SUCCESS
        run.output = "" if result is None else str(result)[:4000]
        return result
    finally:
        run.finished_at = timezone.now()
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save(update_fields=["status", "output", "error", "finished_at", "duration_ms"])


def register(name: str, *, retries: int = 3, retry_delay: int = 30, schedule=None, label: str = ""):
    """Register a job under ``name``. The function takes keyword arguments only (JSON-safe values)."""

    def decorate(func):
        if name in REGISTRY:
            raise ValueError(f"job {name!r} registered twice")

        @HUEY.task(retries=retries, retry_delay=retry_delay, context=True, name=name)
        def task(tenant_id: int | None, kwargs: dict, task=None):
            return _run(name, func, tenant_id, kwargs, task)

        job = Job(
            name=name, func=func, task=task, retries=retries, retry_delay=retry_delay, schedule=schedule, label=label
        )
        REGISTRY[name] = job
        if schedule is not None:

            @HUEY.periodic_task(schedule, name=f"{name}:schedule")
            def fan_out():
                from qifu.core.models import Tenant

                for tenant_id in Tenant.objects.filter(is_active=True).values_list("id", flat=True):
                    task(tenant_id, {})

        return func

    return decorate


def enqueue(name: str, tenant=None, *, delay: int | None = None, eta=None, **kwargs) -> Any:
    """Queue a registered job. Refuses names that were never registered."""
    job = REGISTRY.get(name)
    if job is None:
        raise KeyError(f"no job named {name!r} is registered")
    tenant_id = tenant.pk if tenant is not None else None
    if delay is not None or eta is not None:
        return job.task.schedule(args=(tenant_id, kwargs), delay=delay, eta=eta)
    return job.task(tenant_id, kwargs)


def run_now(name: str, tenant=None, **kwargs) -> Any:
    """Run a registered job synchronously in this process (manual trigger, tests), recorded as usual."""
    return _run(name, REGISTRY[name].func, tenant.pk if tenant is not None else None, kwargs)
