"""National default master data (DESIGN section 8). Codes are stable for statistics."""

from django.db import migrations


def load(apps, schema_editor):
    from cases.defaults import load as load_defaults

    load_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
