from django.db import migrations

from qifu.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0001_initial"),
    ]

    operations = [
        CreateSearchIndex("policies", fields=("title", "number", "summary", "body")),
    ]
