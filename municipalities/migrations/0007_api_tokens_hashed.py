"""API tokens hashed at rest, with an expiry and a scope, several per staff account.

The plain tokens of earlier versions (``rest_framework.authtoken``) are dropped: a hash
cannot be made of them after the fact, and a plain key left in the database is what this
change removes. Systems that used one need a new token from their municipality's manager.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder

PLAIN_TOKEN_TABLE = "authtoken_token"


def drop_plain_tokens(apps, schema_editor):
    """Drop the old token table and forget its migrations (its app is gone), so that the
    database holds no key in clear and no trace of the app that kept them."""
    connection = schema_editor.connection
    if PLAIN_TOKEN_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(PLAIN_TOKEN_TABLE)}")
    recorder = MigrationRecorder(connection)
    if recorder.has_table():
        recorder.migration_qs.filter(app="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0006_roster_import_without_file_bytes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("token_key", models.CharField(db_index=True, max_length=25)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("digest", models.CharField(max_length=128, unique=True)),
                ("name", models.CharField(max_length=100, verbose_name="name or purpose")),
                (
                    "scope",
                    models.CharField(
                        choices=[("read", "Read only"), ("write", "Read and write")],
                        max_length=10,
                        verbose_name="scope",
                    ),
                ),
                ("expiry", models.DateTimeField(verbose_name="expires at")),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last used"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="issued by",
                    ),
                ),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="municipalities.municipality",
                        verbose_name="municipality",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="auth_token_set",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "indexes": [
                    models.Index(
                        fields=["municipality", "created"], name="apitoken_muni_created_idx"
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("scope__in", ["read", "write"])),
                        name="apitoken_scope_known",
                    )
                ],
            },
        ),
        # Irreversible in substance: going back leaves the old table gone (its keys were
        # the problem); reissue tokens after a downgrade.
        migrations.RunPython(drop_plain_tokens, migrations.RunPython.noop),
    ]
