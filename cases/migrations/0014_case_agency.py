"""関係機関 as rows of their own (``CaseAgency``): the agencies on a case keep their
rows, and each can now name the member of its staff who works the case. The cases an
agency leads are read from an index of (lead_agency, id)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseAgency = apps.get_model("cases", "CaseAgency")
    old = Case.agencies.through
    rows = old.objects.values_list("case_id", "case__municipality_id", "supportagency_id")
    CaseAgency.objects.bulk_create(
        (
            CaseAgency(case_id=case_id, municipality_id=municipality_id, agency_id=agency_id)
            for case_id, municipality_id, agency_id in rows.iterator()
        ),
        batch_size=2000,
    )


def backwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseAgency = apps.get_model("cases", "CaseAgency")
    old = Case.agencies.through
    old.objects.bulk_create(
        (
            old(case_id=case_id, supportagency_id=agency_id)
            for case_id, agency_id in CaseAgency.objects.values_list(
                "case_id", "agency_id"
            ).iterator()
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_emergency_access"),
        ("municipalities", "0010_audit_refused"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseAgency",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="added at")),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="agency_links", to="cases.case", verbose_name="case")),
                ("agency", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="case_links", to="cases.supportagency", verbose_name="agency")),
                ("assigned_to", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="agency_case_links", to=settings.AUTH_USER_MODEL, verbose_name="staff in charge")),
                ("municipality", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="municipalities.municipality", verbose_name="municipality")),
            ],
            options={
                "verbose_name": "agency on a case",
                "verbose_name_plural": "agencies on cases",
                "constraints": [models.UniqueConstraint(fields=("case", "agency"), name="case_agency_unique")],
                "indexes": [
                    models.Index(fields=["agency", "case"], name="case_agency_agency_idx"),
                    models.Index(condition=models.Q(("assigned_to__isnull", False)), fields=["assigned_to"], name="case_agency_assignee_idx"),
                ],
            },
        ),
        migrations.AlterField(
            model_name="case",
            name="lead_agency",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="lead_cases", to="cases.supportagency", verbose_name="lead agency"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["lead_agency", "id"], name="case_lead_agency_idx"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="case", name="agencies"),
        migrations.AddField(
            model_name="case",
            name="agencies",
            field=models.ManyToManyField(blank=True, related_name="cases", through="cases.CaseAgency", to="cases.supportagency", verbose_name="agencies involved"),
        ),
    ]
