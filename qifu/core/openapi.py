"""The committed contract (openapi.json at the repository root) and its drift check."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

CONTRACT_PATH = Path(settings.BASE_DIR) / "openapi.json"


def live_contract() -> dict:
    from qifu.api import api

    return api.get_openapi_schema(path_prefix="/api/v1")


def render(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def operations(schema: dict | None = None):
    """Yield (method, path, operation) for every operation of the contract."""
    schema = schema or live_contract()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, op
