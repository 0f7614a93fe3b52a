"""The policy library's full-text index (title and document number weigh most).

Every field matches; only title, number (A) and summary (B) rank — the body filters. Ranking the
whole document read every long, TOASTed body of every match (a broad term matches 10,000
policies at 100k); see docs/performance.md."""

from __future__ import annotations

from qifu.core import richtext, search

POLICIES = search.register(
    search.SearchIndex(
        name="policies",
        model="policies.policy",
        fields={"title": "A", "number": "A", "summary": "B", "body": "C"},
        rank_weights=("A", "B"),
        document=lambda p: {
            "title": p.title,
            "number": p.number,
            "summary": p.summary,
            "body": richtext.to_text(p.body),
        },
    )
)
