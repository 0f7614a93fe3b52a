"""Full-text index of listed products (through the one search interface, qifu.core.search).

Each field has a weight of its own, so a field hidden or masked for the user can be left out of
matching and ranking; ``sources`` names the model fields each is made of. Provider and category
count the same (0.4), as when they shared weight B."""

from qifu.core import richtext, search

PRODUCTS = search.register(
    search.SearchIndex(
        name="marketplace_products",
        model="marketplace.product",
        fields={"title": "A", "provider": "B", "category": "C", "description": "D"},
        sources={
            "title": ("name",),
            "provider": ("institution__name",),
            "category": ("category__name", "category__parent__name"),
            "description": ("summary", "description", "service_area"),
        },
        weight_values={"A": 1.0, "B": 0.4, "C": 0.4, "D": 0.2},
        document=lambda p: {
            "title": p.name,
            "provider": p.institution.name,
            "category": f"{p.category.parent.name if p.category.parent_id else ''} {p.category.name}",
            "description": f"{p.summary} {richtext.to_text(p.description)} {p.service_area}",
        },
    )
)
