# The programs of a referral and the kinds of flag subject come from cases.registry:
# each program declares its own. Choices only: the database does not change.

import cases.registry
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_flag_partial_fk_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='flag',
            name='subject_type',
            field=models.CharField(choices=cases.registry.flag_subject_choices, max_length=10),
        ),
        migrations.AlterField(
            model_name='referral',
            name='from_program',
            field=models.CharField(choices=cases.registry.program_choices, max_length=20, verbose_name='from'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='to_program',
            field=models.CharField(choices=cases.registry.program_choices, max_length=20, verbose_name='to'),
        ),
    ]
