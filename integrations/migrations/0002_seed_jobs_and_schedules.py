"""Seed the two connections, the four jobs and their Celery Beat schedules.

Both syncs are enabled and both account-number jobs disabled, as in the original
scheduler; every job runs daily until staff change it (admin or Integrations page).
"""

import json

from django.db import migrations

JOBS = [
    ("sync_freshservice", True),
    ("sync_datto", True),
    ("assign_account_numbers", False),
    ("push_account_numbers_to_datto", False),
]
TASK = "integrations.tasks.run_sync_job_task"
REAPER = "integrations: reap stale sync runs"


def seed(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    SyncJob = apps.get_model("integrations", "SyncJob")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")

    for kind, rate in (("datto", 600), ("freshservice", 0)):
        Connection.objects.get_or_create(
            kind=kind, defaults={"rate_limit_per_minute": rate}
        )
    daily, _ = IntervalSchedule.objects.get_or_create(every=1440, period="minutes")
    for kind, enabled in JOBS:
        job, _ = SyncJob.objects.get_or_create(
            kind=kind, defaults={"enabled": enabled, "interval_minutes": 1440}
        )
        task, _ = PeriodicTask.objects.update_or_create(
            name=f"integrations: {kind}",
            defaults={
                "task": TASK,
                "interval": daily,
                "kwargs": json.dumps({"job_id": job.pk, "trigger": "schedule"}),
                "enabled": job.enabled,
                "description": "Managed by Nexus (Integrations page / sync jobs).",
            },
        )
        job.periodic_task = task
        job.save(update_fields=["periodic_task"])
    every_10, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=REAPER,
        defaults={
            "task": "integrations.tasks.reap_stale_runs_task",
            "interval": every_10,
            "kwargs": "{}",
            "enabled": True,
        },
    )


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__startswith="integrations: ").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
