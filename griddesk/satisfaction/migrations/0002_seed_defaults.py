from django.db import migrations


def seed(apps, schema_editor):
    from griddesk.satisfaction.defaults import seed as run

    run(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("satisfaction", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
