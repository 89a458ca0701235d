"""Name search folds variant kanji (髙→高, 齋→斎, 邊→辺 …): the search keys of the
persons whose name holds one are computed again. The names themselves are unchanged."""

from django.db import migrations


def forwards(apps, schema_editor):
    from cases.core.text import search_key, variant_characters

    Person = apps.get_model("cases", "Person")
    affected = Person.objects.filter(name__regex=f"[{variant_characters()}]").only("name")
    batch = []
    for person in affected.iterator(chunk_size=2000):
        person.search_name = search_key(person.name)
        batch.append(person)
        if len(batch) == 2000:
            Person.objects.bulk_update(batch, ["search_name"])
            batch = []
    Person.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_case_agency")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
