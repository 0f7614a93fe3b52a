from django.db import migrations

from qifu.core import search


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [
        search.CreateSearchIndex("marketplace_products", fields=("title", "provider", "category", "description"))
    ]
