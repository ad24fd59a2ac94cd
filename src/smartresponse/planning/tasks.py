"""Background tasks of the staffing planner (django-tasks): a roster simulation or search."""

from __future__ import annotations

from django_tasks import task


@task()
def run_plan(run_id: int) -> None:
    from .services import plan_run_execute

    plan_run_execute(run_id)
