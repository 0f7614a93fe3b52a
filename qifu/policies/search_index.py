"""The policy library's full-text index (title and document number weigh most)."""

from __future__ import annotations

from qifu.core import richtext, search

POLICIES = search.register(
    search.SearchIndex(
        name="policies",
        model="policies.policy",
        fields={"title": "A", "number": "A", "summary": "B", "body": "C"},
        document=lambda p: {
            "title": p.title,
            "number": p.number,
            "summary": p.summary,
            "body": richtext.to_text(p.body),
        },
    )
)
