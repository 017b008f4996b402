# The email outbox moves from keys (keys.Notification) to accounts (accounts.OutboundEmail) without
# copying a row: the model takes over the existing table `keys_notification` in the migration state only,
# and keys/migrations/0005_move_outbox_to_accounts.py then drops keys.Notification from the state.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _move(apps, frm, to):
    """Move the content type and its permissions, so what was granted on one model is granted on the other."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    if ContentType.objects.filter(app_label=to[0], model=to[1]).exists():
        return  # a fresh database: post_migrate creates the new content type and its permissions
    content_type = ContentType.objects.filter(app_label=frm[0], model=frm[1]).first()
    if content_type is None:
        return
    content_type.app_label, content_type.model = to
    content_type.save(update_fields=["app_label", "model"])
    for permission in Permission.objects.filter(content_type=content_type, codename__endswith=f"_{frm[1]}"):
        permission.codename = permission.codename[: -len(frm[1])] + to[1]
        permission.save(update_fields=["codename"])


def carry_content_type(apps, schema_editor):
    _move(apps, ("keys", "notification"), ("accounts", "outboundemail"))


def restore_content_type(apps, schema_editor):
    _move(apps, ("accounts", "outboundemail"), ("keys", "notification"))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_rotation_and_expiry_policy"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The table is created by keys 0003; this migration only adopts it.
        ("keys", "0003_rotation_notices_alerts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboundEmail",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("template", models.CharField(help_text="templates/emails/<template>.txt, .html and _subject.txt", max_length=64)),
                        ("context", models.JSONField(blank=True, default=dict)),
                        ("recipients", models.JSONField(blank=True, default=list)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("claimed_until", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=300)),
                        ("organization", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization")),
                    ],
                    options={
                        "verbose_name": "outbound email",
                        "ordering": ("-created_at",),
                        "db_table": "keys_notification",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, help_text="Not sent because what it was about is gone (reason in last error).", null=True),
        ),
        migrations.RunPython(carry_content_type, restore_content_type),
    ]
