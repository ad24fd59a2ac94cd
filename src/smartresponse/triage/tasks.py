"""Background tasks of triage (django-tasks): the what-if replay."""

from __future__ import annotations

from django_tasks import task


@task()
def run_replay(run_id: int) -> None:
    from .replay_services import replay_run_execute

    replay_run_execute(run_id)
