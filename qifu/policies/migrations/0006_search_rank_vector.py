from django.db import migrations

from qifu.core.search import AddSearchRankVector


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0005_policy_submitter_id_kept"),
    ]

    operations = [
        # Matches with every field, ranks with title, number and summary only (search_index.POLICIES).
        AddSearchRankVector("policies", weights=("A", "B")),
    ]
