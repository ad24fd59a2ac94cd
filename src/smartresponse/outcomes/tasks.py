"""Background tasks of outcomes (django-tasks): the program report."""

from __future__ import annotations

from django_tasks import task


@task()
def produce_report(run_id: int) -> None:
    from .report_services import report_run_execute

    report_run_execute(run_id)
