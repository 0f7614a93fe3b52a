"""Lists answer ``{"items": [...], "total": n, "page": p, "size": s}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

T = TypeVar("T")

MAX_PAGE_SIZE = 100


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100000, description="页码，从 1 开始")
    size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，最多 {MAX_PAGE_SIZE}")


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


def paginate(queryset: QuerySet, query: PageQuery, transform: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    total = queryset.count()
    start = (query.page - 1) * query.size
    rows = list(queryset[start : start + query.size])
    if transform is not None:
        rows = [transform(row) for row in rows]
    return {"items": rows, "total": total, "page": query.page, "size": query.size}
