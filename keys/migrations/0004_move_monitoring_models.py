"""Usage buckets and networks, roll-up batches, alerts and expiry notices move to the `monitoring` app (issue 9).

State only: the tables stay where they are (monitoring 0001 adopts them with `db_table` pinned), so
no row is copied or lost. monitoring 0001 depends on this migration, not the other way round, so
keys never needs the monitoring app to migrate.
"""

from django.db import migrations

MOVED = ("alert", "usagenetwork", "expirynotice", "usagebucket", "usagerollupbatch")


class Migration(migrations.Migration):
    dependencies = [
        ("keys", "0003_rotation_notices_alerts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
