# The email outbox now belongs to accounts (accounts.OutboundEmail, accounts/migrations/0003_outbound_email.py),
# which adopted the table `keys_notification`. Only the migration state forgets keys.Notification: the
# table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_outbound_email"),
        ("keys", "0004_move_monitoring_models"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
