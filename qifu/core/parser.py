"""JSON body parsing with a clear 400 on malformed input."""

from __future__ import annotations

import json

from ninja.parser import Parser

from qifu.core.errors import ApiError


class QifuParser(Parser):
    def parse_body(self, request):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError("request.malformed_json", f"请求体不是合法的 JSON：{exc}", status=400) from exc
        return data
