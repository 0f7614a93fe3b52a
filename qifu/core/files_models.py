"""Uploaded files: stored under generated names, typed by their content, not their name."""

from __future__ import annotations

from django.db import models

from qifu.core.models import TenantOwned


class StoredFile(TenantOwned):
    purpose = models.CharField("用途", max_length=50, db_index=True)
    original_name = models.CharField("原文件名", max_length=200)
    storage_name = models.CharField(max_length=200, editable=False)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField(max_length=64, db_index=True)

    class Meta:
        app_label = "core"
        verbose_name = "文件"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "storage_name"], name="core_storedfile_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.original_name
