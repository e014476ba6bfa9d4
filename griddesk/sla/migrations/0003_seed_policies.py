"""Seed the paper's default SLA policies and business hours (08:30–17:30)."""

from django.db import migrations

from griddesk.sla.defaults import seed, unseed


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_sla_policies")]

    operations = [migrations.RunPython(seed, unseed)]
