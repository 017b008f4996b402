"""Team key policies move from accounts.Organization into keys.CredentialPolicy (docs/policies.md).

The three policies an organization already had (maximum lifetime, maximum age, live keys expire) are
copied into its new policy row before accounts 0004 drops the columns (`run_before`), so no team loses
a policy; reversed, they are copied back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_from_organizations(apps, schema_editor):
    organization = apps.get_model("accounts", "Organization")
    policy = apps.get_model("keys", "CredentialPolicy")
    teams = organization.objects.exclude(
        max_key_lifetime_days__isnull=True, max_key_age_days__isnull=True, require_live_key_expiry=False
    )
    policy.objects.bulk_create(
        [
            policy(
                organization_id=team.pk,
                max_lifetime_days=team.max_key_lifetime_days,
                max_age_days=team.max_key_age_days,
                require_live_expiry=team.require_live_key_expiry,
            )
            for team in teams.iterator()
        ],
        batch_size=500,
    )


def copy_back_to_organizations(apps, schema_editor):
    organization = apps.get_model("accounts", "Organization")
    for row in apps.get_model("keys", "CredentialPolicy").objects.iterator():
        organization.objects.filter(pk=row.organization_id).update(
            max_key_lifetime_days=row.max_lifetime_days,
            max_key_age_days=row.max_age_days,
            require_live_key_expiry=row.require_live_expiry,
        )


class Migration(migrations.Migration):
    # The copy reads the organization's columns, so it runs before accounts drops them.
    run_before = [("accounts", "0004_key_policies_moved_to_keys")]

    dependencies = [
        ('accounts', '0003_outbound_email'),
        ('keys', '0006_certificate_uniqueness_per_organization'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CredentialPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('max_lifetime_days', models.PositiveIntegerField(blank=True, help_text='New credentials must expire within this many days (empty: no limit).', null=True)),
                ('max_age_days', models.PositiveIntegerField(blank=True, help_text='API keys older than this are rolled by the rotation job (empty: never).', null=True)),
                ('require_live_expiry', models.BooleanField(default=False, help_text='Live credentials must have an expiry.')),
                ('require_live_allowlist', models.BooleanField(default=False, help_text='Live credentials must be limited to allowed networks.')),
                ('role_scopes', models.JSONField(blank=True, default=dict)),
                ('rotation_interval_days', models.PositiveIntegerField(blank=True, help_text='New live API keys get a rotation policy with this interval (empty: none).', null=True)),
                ('rotation_grace_hours', models.PositiveIntegerField(default=24)),
                ('idle_report_week', models.CharField(blank=True, editable=False, max_length=8)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('organization', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='credential_policy', to='accounts.organization')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'credential policy',
                'verbose_name_plural': 'credential policies',
            },
        ),
        migrations.RunPython(copy_from_organizations, copy_back_to_organizations),
]
