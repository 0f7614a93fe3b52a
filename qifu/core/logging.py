"""JSON log lines carrying the request id."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from qifu.core import requestinfo


class RequestIdFilter(logging.Filter):
    """Adds ``request_id``: from the request being handled, else from the record's own request.

    Django logs a request's 4xx/5xx line ("django.request") after the middleware chain has
    returned, when the current request context is already gone; the record carries the request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = requestinfo.get().request_id
        if request_id == "-":
            request_id = getattr(getattr(record, "request", None), "request_id", None) or "-"
        record.request_id = request_id
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
