"""A roster import keeps the rows read from the file, not the file's bytes.

The bytes of every upload that passed the first checks were kept in ``content``; an
upload past today's limits was kept too. Each kept file is read again here, with the
limits, into ``rows``; a file that no longer reads keeps no rows, and if it was still
waiting for confirmation it is rejected with the reason in its report (upload it
again). Then ``content`` goes; going back brings the column back empty, as the bytes
are gone.
"""

from django.db import migrations, models


def rows_from_kept_files(apps, schema_editor):
    from django.conf import settings
    from django.utils import translation

    from municipalities.roster_files import RosterFileError, roster_read

    RosterImport = apps.get_model("municipalities", "RosterImport")
    for record in RosterImport.objects.order_by("pk").iterator(chunk_size=20):
        try:
            with translation.override(settings.LANGUAGE_CODE):  # reports are in Japanese
                record.rows = roster_read(bytes(record.content), record.file_name).rows_as_json()
        except RosterFileError as exc:
            record.rows = []
            if record.status == "previewed":
                record.status = "rejected"
                report = record.report if isinstance(record.report, dict) else {}
                report["errors"] = [*report.get("errors", []), str(exc)]
                report["ok"] = False
                record.report = report
        record.save(update_fields=["rows", "status", "report"])


class Migration(migrations.Migration):
    dependencies = [("municipalities", "0005_case_retention_and_anonymise_action")]

    operations = [
        migrations.AddField(
            model_name="rosterimport",
            name="rows",
            field=models.JSONField(default=list, editable=False, verbose_name="rows"),
        ),
        migrations.RunPython(rows_from_kept_files, migrations.RunPython.noop, elidable=True),
        # Empty by default first, so that going back can add the column again.
        migrations.AlterField(
            model_name="rosterimport",
            name="content",
            field=models.BinaryField(default=b"", editable=False, verbose_name="file content"),
        ),
        migrations.RemoveField(model_name="rosterimport", name="content"),
    ]
