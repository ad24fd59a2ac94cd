"""Background tasks of the person index (django-tasks): the link run."""

from __future__ import annotations

from django_tasks import task


@task()
def run_link(run_id: int) -> None:
    from .services import link_run_execute

    link_run_execute(run_id)
