"""Each field of the product index gets a weight of its own (title A, provider B, category C,
description D; before: provider and category shared B, description C), so search can leave out a
field that a role hides or masks. On PostgreSQL every indexed product is re-segmented and written
again with the new weights (a tsvector keeps only a lexeme's weight, so provider and category
could not be told apart without the source text). Ranking is unchanged: the index gives provider
and category the same factor. SQLite's FTS5 keeps one column per field and needs nothing."""

from django.db import migrations

from qifu.core import richtext, search


def _document(p):
    parent = p.category.parent.name if p.category.parent_id else ""
    return {
        "title": p.name,
        "provider": p.institution.name,
        "category": f"{parent} {p.category.name}",
        "description": f"{p.summary} {richtext.to_text(p.description)} {p.service_area}",
    }


def _index(fields: dict[str, str]) -> search.SearchIndex:
    # Not registered: the index as of this migration, written with the historical model.
    return search.SearchIndex(
        name="marketplace_products", model="marketplace.product", fields=fields, sources={}, document=_document
    )


NEW = _index({"title": "A", "provider": "B", "category": "C", "description": "D"})
OLD = _index({"title": "A", "provider": "B", "category": "B", "description": "C"})


def _reindex(index: search.SearchIndex):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute('SELECT object_id FROM "search_marketplace_products"')
            indexed = [row[0] for row in cursor.fetchall()]
        # Only the products in the index (the listed, approved versions), as they are now.
        products = apps.get_model("marketplace", "Product").objects.filter(pk__in=indexed)
        search.rebuild(index, products.select_related("institution", "category__parent").order_by("pk"))

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_application_reminded_hours"),
    ]

    operations = [migrations.RunPython(_reindex(NEW), _reindex(OLD))]
