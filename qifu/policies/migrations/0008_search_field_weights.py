"""Each field of the policy index gets a weight of its own (title A, number B, summary C, body D;
before: title and number A, summary B, body C), so search can leave out a field that a role hides
or masks. The ranked part follows (A, B, C — still without the body), and on PostgreSQL every
indexed policy is re-segmented and written again with the new weights (a lexeme's weight is all a
tsvector keeps, so title and number could not be told apart without the source text). Ranking is
unchanged: the index gives title and number the same factor. SQLite's FTS5 keeps one column per
field and needs nothing."""

from django.db import migrations

from qifu.core import richtext, search


def _document(p):
    return {"title": p.title, "number": p.number, "summary": p.summary, "body": richtext.to_text(p.body)}


def _index(fields: dict[str, str]) -> search.SearchIndex:
    # Not registered: the index as of this migration, written with the historical model.
    return search.SearchIndex(name="policies", model="policies.policy", fields=fields, sources={}, document=_document)


NEW = _index({"title": "A", "number": "B", "summary": "C", "body": "D"})
OLD = _index({"title": "A", "number": "A", "summary": "B", "body": "C"})


def _reindex(index: search.SearchIndex):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        search.rebuild(index, apps.get_model("policies", "Policy").objects.order_by("pk"))

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0007_list_covering_index"),
    ]

    operations = [
        search.RemoveSearchRankVector("policies", weights=("A", "B")),
        migrations.RunPython(_reindex(NEW), _reindex(OLD)),
        search.AddSearchRankVector("policies", weights=("A", "B", "C")),
    ]
