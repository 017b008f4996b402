"""Adopt the tables keys/ created (keys 0001 and 0003) as monitoring's models, in state only.

`db_table` keeps the `keys_…` names and the index and constraint names are the ones already in the
database, so this migration changes no table. The content types of the five models are relabelled
from `keys` to `monitoring`, so permissions granted on them (`keys.change_alert`, now
`monitoring.change_alert`) and admin history stay attached.
"""

import django.db.models.deletion
import django.utils.timezone
from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MOVED = ("alert", "usagenetwork", "expirynotice", "usagebucket", "usagerollupbatch")


def _relabel(apps: Apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A fresh database has neither yet (post_migrate creates them); one that ran `migrate` with the
        # new code before this migration may have both, and then the old one is left alone.
        if not content_type.objects.filter(app_label=new, model=model).exists():
            content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, "keys", "monitoring")


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, "monitoring", "keys")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_rotation_and_expiry_policy"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("keys", "0004_move_monitoring_models"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="UsageRollupBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("batch_id", models.CharField(max_length=64, unique=True)),
                ("applied_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"db_table": "keys_usagerollupbatch"},
        ),
        migrations.CreateModel(
            name="UsageBucket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("requests", models.PositiveBigIntegerField(default=0)),
                ("failures", models.PositiveBigIntegerField(default=0)),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="usage_buckets", to="keys.apikey"
                    ),
                ),
            ],
            options={
                "db_table": "keys_usagebucket",
                "indexes": [models.Index(fields=["hour"], name="keys_usagebucket_hour_idx")],
                "constraints": [models.UniqueConstraint(fields=("key", "hour"), name="uniq_usage_key_hour")],
            },
        ),
        migrations.CreateModel(
            name="UsageNetwork",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("network", models.CharField(max_length=49)),
                ("requests", models.PositiveBigIntegerField(default=0)),
                ("blocked", models.PositiveBigIntegerField(default=0)),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="usage_networks", to="keys.apikey"
                    ),
                ),
            ],
            options={
                "db_table": "keys_usagenetwork",
                "verbose_name": "usage by source network",
                "verbose_name_plural": "usage by source network",
                "indexes": [models.Index(fields=["hour"], name="keys_usagenet_hour_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("key", "network", "hour"), name="uniq_usage_network_hour")
                ],
            },
        ),
        migrations.CreateModel(
            name="Alert",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("spike", "Traffic spike"),
                            ("failures", "Burst of authentication failures"),
                            ("new_network", "New source network"),
                            ("blocked_network", "Use from outside the allowed networks"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "subject",
                    models.CharField(
                        blank=True,
                        help_text="What the alert is about within its kind: the source network, or empty.",
                        max_length=64,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")],
                        db_index=True,
                        default="open",
                        max_length=12,
                    ),
                ),
                ("hour", models.DateTimeField(help_text="The latest hour (UTC) whose traffic raised this alert.")),
                ("observed", models.FloatField()),
                ("baseline", models.FloatField(blank=True, null=True)),
                ("threshold", models.FloatField(blank=True, null=True)),
                ("details", models.JSONField(blank=True, default=dict)),
                ("occurrences", models.PositiveIntegerField(default=1)),
                ("first_seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="alerts", to="keys.apikey"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="alerts", to="accounts.organization"
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "keys_alert",
                "ordering": ("-last_seen_at", "-id"),
                "indexes": [models.Index(fields=["organization", "status", "-last_seen_at"], name="keys_alert_org_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "resolved"), _negated=True),
                        fields=("key", "kind", "subject"),
                        name="uniq_unresolved_alert",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ExpiryNotice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("credential_kind", models.CharField(max_length=32)),
                ("credential_id", models.CharField(max_length=64)),
                ("threshold_days", models.PositiveSmallIntegerField()),
                ("expires_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization"
                    ),
                ),
            ],
            options={
                "db_table": "keys_expirynotice",
                "verbose_name": "expiry notice",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("credential_kind", "credential_id", "threshold_days", "expires_at"),
                        name="uniq_expiry_notice",
                    )
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
