"""Fleet services and tasks: schedules, time-outs, offline alerts (issue 9)."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from assets.choices import JobStatus
from assets.fleet import (
    check_offline_agents,
    create_enrolment_token,
    enrol_agent,
    queue_jobs,
    save_job_schedule,
    take_jobs,
)
from assets.fleet_models import Agent, AlertRule, FleetAlert, FleetJob, JobSchedule
from assets.tasks import (
    check_offline_agents_task,
    run_job_schedule_task,
    time_out_fleet_jobs_task,
)
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def agent_of(company=None, hostname="h", **fields) -> Agent:
    company = company or CompanyFactory()
    _token, raw = create_enrolment_token(company, name="t")
    agent, _key = enrol_agent(raw, hostname=hostname)
    if fields:
        Agent.objects.filter(pk=agent.pk).update(**fields)
        agent.refresh_from_db()
    return agent


def test_online_follows_threshold_setting(settings):
    agent = agent_of(last_seen_at=timezone.now() - timedelta(minutes=7))
    settings.NEXUS_FLEET_OFFLINE_MINUTES = 10
    assert agent.is_online() and Agent.objects.online().filter(pk=agent.pk).exists()
    settings.NEXUS_FLEET_OFFLINE_MINUTES = 5
    assert (
        not agent.is_online() and Agent.objects.offline().filter(pk=agent.pk).exists()
    )


def test_health_summary():
    assert agent_of(disk_percent=95).health == "bad"
    assert agent_of(disk_percent=80, memory_percent=10).health == "warn"
    assert agent_of(disk_percent=20, memory_percent=30, cpu_percent=5).health == "ok"
    assert agent_of().health == "unknown"


def test_schedule_creates_and_updates_periodic_task(technician):
    company = CompanyFactory()
    agent_of(company, hostname="a", tags="web")
    agent_of(company, hostname="b")
    schedule = save_job_schedule(
        JobSchedule(
            company=company,
            name="disk check",
            script="df -h",
            tag="web",
            interval_minutes=15,
            created_by=technician,
        )
    )
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "assets.tasks.run_job_schedule_task"
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    assert task.interval.every == 15 and task.enabled
    schedule.interval_minutes, schedule.enabled = 60, False
    save_job_schedule(schedule)
    task.refresh_from_db()
    assert task.interval.every == 60 and not task.enabled
    assert PeriodicTask.objects.filter(name__startswith="fleet-schedule-").count() == 1


def test_schedule_run_queues_for_targets_and_skips_pending(technician):
    company = CompanyFactory()
    web = agent_of(company, hostname="a", tags="web")
    agent_of(company, hostname="b")
    schedule = save_job_schedule(
        JobSchedule(
            company=company, name="n", script="uptime", tag="web", created_by=technician
        )
    )
    assert run_job_schedule_task(schedule.pk) == 1
    assert run_job_schedule_task(schedule.pk) == 0  # previous run still pending
    job = FleetJob.objects.get(schedule=schedule)
    assert job.agent == web and job.created_by == technician
    assert run_job_schedule_task(999999) == 0


def test_schedule_agent_must_be_of_company():
    with pytest.raises(ValidationError):
        save_job_schedule(
            JobSchedule(
                company=CompanyFactory(), agent=agent_of(), name="n", script="x"
            )
        )


def test_sent_jobs_time_out(technician):
    agent = agent_of()
    [job] = queue_jobs(by=technician, agents=[agent], script="x", timeout_seconds=1)
    take_jobs(agent)
    assert time_out_fleet_jobs_task() == 0
    FleetJob.objects.filter(pk=job.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert time_out_fleet_jobs_task() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.TIMED_OUT and job.finished_at is not None
    assert time_out_fleet_jobs_task() == 0


def test_offline_alert_raised_once_and_opens_ticket_by_rule():
    from tickets.models import Ticket

    company = CompanyFactory()
    AlertRule.objects.create(
        company=company, kind="offline", threshold=30, open_ticket=True
    )
    quiet = agent_of(company, last_seen_at=timezone.now() - timedelta(minutes=45))
    agent_of(
        company, hostname="fresh", last_seen_at=timezone.now() - timedelta(minutes=20)
    )
    assert check_offline_agents_task() == 1
    assert check_offline_agents() == 0
    alert = FleetAlert.objects.get()
    assert alert.agent == quiet and alert.ticket.company == company
    assert Ticket.objects.count() == 1


def test_disabled_rule_raises_nothing():
    AlertRule.objects.create(kind="offline", threshold=1, enabled=False)
    agent_of(last_seen_at=timezone.now() - timedelta(days=2))
    assert check_offline_agents() == 0


def test_portal_user_cannot_queue_jobs(portal_user_for):
    from django.core.exceptions import PermissionDenied

    agent = agent_of()
    with pytest.raises(PermissionDenied):
        queue_jobs(by=portal_user_for(agent.company), agents=[agent], script="x")
