"""The key policies now live in keys.CredentialPolicy; keys 0006 copied them first (its `run_before`)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_outbound_email'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='organization',
            name='max_key_age_days',
        ),
        migrations.RemoveField(
            model_name='organization',
            name='max_key_lifetime_days',
        ),
        migrations.RemoveField(
            model_name='organization',
            name='require_live_key_expiry',
        ),
    ]
