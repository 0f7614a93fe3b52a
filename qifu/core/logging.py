"""JSON log lines carrying the request id."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from qifu.core import requestinfo


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestinfo.get().request_id
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
