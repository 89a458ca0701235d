"""The yearly targets become part of the 実施計画: one plan per municipality and fiscal year
that has targets (its period that year alone, until a manager edits it)."""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):
    target_model = apps.get_model("cases", "IndicatorTarget")
    plan_model = apps.get_model("cases", "ImplementationPlan")
    pairs = (
        target_model.objects.filter(plan__isnull=True)
        .values_list("municipality_id", "fiscal_year")
        .distinct()
    )
    for municipality_id, fiscal_year in pairs:
        plan, _created = plan_model.objects.get_or_create(
            municipality_id=municipality_id,
            fiscal_year=fiscal_year,
            defaults={"first_year": fiscal_year, "last_year": fiscal_year},
        )
        target_model.objects.filter(
            municipality_id=municipality_id, fiscal_year=fiscal_year, plan__isnull=True
        ).update(plan=plan)


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_implementation_plan")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
