"""Celery Beat rows for fleet housekeeping: time out overdue jobs and raise
offline alerts, every minute (staff can disable them in the admin)."""

from django.db import migrations

TASKS = [
    ("fleet: time out overdue jobs", "assets.tasks.time_out_fleet_jobs_task"),
    ("fleet: check offline agents", "assets.tasks.check_offline_agents_task"),
]


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task in TASKS:
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": every_minute, "enabled": True},
        )


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0006_fleet"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
