"""A search index declares, per field, a weight of its own and the model fields it is made of;
``search.register`` refuses an index that does not, so field rules can always be applied to it."""

from __future__ import annotations

import pytest

from qifu.core import search


def _index(**over) -> search.SearchIndex:
    spec = {
        "name": "probe_policies",
        "model": "policies.policy",
        "fields": {"title": "A", "body": "B"},
        "sources": {"title": ("title",), "body": ("body",)},
        "document": lambda p: {"title": p.title, "body": p.body},
        **over,
    }
    return search.SearchIndex(**spec)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"fields": {"title": "A", "body": "A"}}, "weight of its own"),
        ({"sources": {"title": ("title",)}}, "every index field"),
        ({"sources": {"title": ("title",), "body": ()}}, "non-empty tuple"),
        ({"sources": {"title": ("title",), "body": "body"}}, "non-empty tuple"),
        ({"sources": {"title": ("title",), "body": ("text",)}}, "not a field path"),
        ({"sources": {"title": ("title__name",), "body": ("body",)}}, "not a field path"),  # title is no relation
        ({"weight_values": {"A": 2.0}}, "between 0 and 1"),
    ],
)
def test_register_refuses_an_index_field_rules_could_not_apply_to(over, message):
    with pytest.raises(ValueError, match=message):
        search.register(_index(**over))
    assert "probe_policies" not in search.REGISTRY


def test_sources_may_reach_through_forward_relations():
    index = _index(
        name="probe_products",
        model="marketplace.product",
        fields={"title": "A", "provider": "B"},
        sources={"title": ("name",), "provider": ("institution__name", "category__parent__name")},
    )
    try:
        assert search.register(index) is index
    finally:
        search.REGISTRY.pop("probe_products", None)
