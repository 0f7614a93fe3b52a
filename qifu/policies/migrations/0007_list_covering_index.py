"""On PostgreSQL, the (tenant, status, id) index of policies also carries the list's filter
columns, so counts and ``id IN (…)`` with level, department or the application window are
index-only scans instead of reads of the wide policy rows. Same name, same keys: Django's
model state is unchanged; SQLite (no INCLUDE) keeps the plain index."""

from django.db import migrations

COVERING = (
    "CREATE INDEX policies_tenant_status_id ON policies_policy (tenant_id, status, id) "
    "INCLUDE (level, department, apply_start, apply_end)"
)
PLAIN = "CREATE INDEX policies_tenant_status_id ON policies_policy (tenant_id, status, id)"


def _rebuild(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS policies_tenant_status_id")
        schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0006_search_rank_vector"),
    ]

    operations = [migrations.RunPython(_rebuild(COVERING), _rebuild(PLAIN))]
