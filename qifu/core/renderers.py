"""JSON responses with Chinese kept readable (no \\u escapes) and Decimal as strings."""

from __future__ import annotations

import json

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class QifuRenderer(JSONRenderer):
    encoder_class = NinjaJSONEncoder

    def render(self, request, data, *, response_status):
        return json.dumps(data, cls=self.encoder_class, ensure_ascii=False)
