"""The reference agent as a real process against the live server (issue 9)."""

import subprocess
import sys
from pathlib import Path

import pytest

from accounts.choices import Role
from assets.choices import JobStatus
from assets.fleet import create_enrolment_token, queue_jobs
from assets.fleet_models import Agent, AgentReport, FleetJob
from assets.tests.factories import AssetFactory
from companies.tests.factories import CompanyFactory

ROOT = Path(__file__).resolve().parents[2]


def run_agent(live_server, state_file, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "assets.agent",
            "--server",
            live_server.url,
            "--state-file",
            str(state_file),
            "--once",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_reference_agent_round_trip(live_server, tmp_path, make_user):
    import socket

    company = CompanyFactory()
    asset = AssetFactory(company=company, hostname=socket.gethostname())
    tech = make_user(Role.TECHNICIAN)
    _token, raw = create_enrolment_token(company, name="test")
    state_file = tmp_path / "agent.json"

    first = run_agent(live_server, state_file, "--enrol-token", raw)
    assert first.returncode == 0, first.stderr
    assert oct(state_file.stat().st_mode & 0o777) == "0o600"
    agent = Agent.objects.get(company=company)
    assert agent.asset == asset and agent.last_seen_at is not None
    assert agent.key_hash not in state_file.read_text()
    report = AgentReport.objects.get(agent=agent)
    assert report.payload["hostname"] == socket.gethostname()
    assert 0 <= report.disk_percent <= 100

    [script] = queue_jobs(
        by=tech, agents=[agent], script="echo hello-$((40+2)); exit 3"
    )
    target = tmp_path / "dropped"
    [upload] = queue_jobs(
        by=tech,
        agents=[agent],
        kind="file",
        file_name="../../evil/cfg.txt",
        file_content=b"key=value\n",
        destination=str(target),
    )
    [slow] = queue_jobs(by=tech, agents=[agent], script="sleep 5", timeout_seconds=1)

    second = run_agent(live_server, state_file)  # no token: uses the stored key
    assert second.returncode == 0, second.stderr
    script.refresh_from_db()
    assert script.status == JobStatus.FAILED and script.exit_code == 3
    assert script.stdout.strip() == "hello-42"
    upload.refresh_from_db()
    assert upload.status == JobStatus.SUCCEEDED
    assert (target / "cfg.txt").read_bytes() == b"key=value\n"  # name only, no ../
    slow.refresh_from_db()
    assert slow.status == JobStatus.FAILED and slow.stderr == "timed out"
    assert AgentReport.objects.filter(agent=agent).count() == 2
    assert FleetJob.objects.filter(agent=agent, created_by=tech).count() == 3


@pytest.mark.django_db(transaction=True)
def test_reference_agent_refuses_without_enrolment(live_server, tmp_path):
    result = run_agent(live_server, tmp_path / "none.json")
    assert result.returncode == 2 and "enrol" in result.stderr
    _token = create_enrolment_token(CompanyFactory(), name="x")
    bad = run_agent(live_server, tmp_path / "bad.json", "--enrol-token", "nxe_x_y")
    assert bad.returncode == 1 and "400" in bad.stderr
