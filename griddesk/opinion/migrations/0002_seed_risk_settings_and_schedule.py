"""Seed the default risk settings (weights, thresholds), topic severities, risk
keywords and sensitive places (from griddesk.engines.risk), and the 5-minute
feed-poller schedule."""

from django.db import migrations

POLL_FUNC = "griddesk.opinion.tasks.poll_feeds"


def seed(apps, schema_editor):
    from griddesk.engines import risk

    RiskSettings = apps.get_model("opinion", "RiskSettings")
    TopicSeverity = apps.get_model("opinion", "TopicSeverity")
    RiskKeyword = apps.get_model("opinion", "RiskKeyword")
    RiskSettings.objects.get_or_create(code="default")
    for topic, severity in risk.DEFAULT_TOPIC_SEVERITY.items():
        TopicSeverity.objects.get_or_create(topic=topic, defaults={"severity": severity})
    for word in risk.DEFAULT_KEYWORDS:
        RiskKeyword.objects.get_or_create(word=word, kind="risk")
    for word in risk.DEFAULT_SENSITIVE_PLACES:
        RiskKeyword.objects.get_or_create(word=word, kind="place")
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=POLL_FUNC, defaults={"name": "poll-opinion-feeds", "schedule_type": "I", "minutes": 5, "repeats": -1}
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=POLL_FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opinion", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
