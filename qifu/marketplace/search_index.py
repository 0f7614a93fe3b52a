"""Full-text index of listed products (through the one search interface, qifu.core.search)."""

from qifu.core import richtext, search

PRODUCTS = search.register(
    search.SearchIndex(
        name="marketplace_products",
        model="marketplace.product",
        fields={"title": "A", "provider": "B", "category": "B", "description": "C"},
        document=lambda p: {
            "title": p.name,
            "provider": p.institution.name,
            "category": f"{p.category.parent.name if p.category.parent_id else ''} {p.category.name}",
            "description": f"{p.summary} {richtext.to_text(p.description)} {p.service_area}",
        },
    )
)
