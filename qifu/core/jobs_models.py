"""Recorded runs of registered background jobs."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        SUCCESS = "success", "成功"
        FAILED = "failed", "失败"
        RETRYING = "retrying", "重试中"

    job = models.CharField("任务", max_length=100, db_index=True)
    tenant = models.ForeignKey("core.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    attempt = models.PositiveSmallIntegerField("第几次尝试", default=1)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField("开始时间", auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", null=True, blank=True)
    output = models.TextField("输出", blank=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        app_label = "core"
        verbose_name = "任务运行记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk} {self.status}"
