"""The policy library's full-text index (title and document number weigh most).

Each field has a weight of its own, so a field hidden or masked for the user can be left out of
matching and ranking (qifu.core.search, field rules). Every field matches; only title, number and
summary rank — the body filters. Ranking the whole document read every long, TOASTed body of every
match (a broad term matches 10,000 policies at 100k); see docs/performance.md. Title and number
count the same (1.0) and the summary 0.4, as when title and number shared weight A."""

from __future__ import annotations

from qifu.core import richtext, search

POLICIES = search.register(
    search.SearchIndex(
        name="policies",
        model="policies.policy",
        fields={"title": "A", "number": "B", "summary": "C", "body": "D"},
        sources={"title": ("title",), "number": ("number",), "summary": ("summary",), "body": ("body",)},
        rank_weights=("A", "B", "C"),
        weight_values={"A": 1.0, "B": 1.0, "C": 0.4, "D": 0.1},
        document=lambda p: {
            "title": p.title,
            "number": p.number,
            "summary": p.summary,
            "body": richtext.to_text(p.body),
        },
    )
)
