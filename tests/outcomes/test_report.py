"""The program report: the dashboard's numbers for a quarter beside the quarter before, as CSV
or Excel, suppressed for outside parties on request."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.outcomes.selectors import Period, program_figures

pytestmark = pytest.mark.django_db

Q3 = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def rows_of(text):
    table = list(csv.reader(io.StringIO(text)))
    return table[0], {(r[0], r[1]): r[2:] for r in table[1:]}


def test_csv_report_has_the_dashboards_numbers_beside_the_quarter_before(
    quarters, make_user, tmp_path
):
    out = tmp_path / "q3.csv"
    stdout = io.StringIO()
    call_command("report", period="2026-Q3", format="csv", out=str(out), stdout=stdout)
    header, rows = rows_of(out.read_text())
    assert header == [
        "section",
        "metric",
        "2026-Q3 (2026-07-01 to 2026-09-30)",
        "2026-Q2 (2026-04-01 to 2026-06-30)",
    ]
    metrics, _costs = program_figures(make_user(Role.DIRECTOR), Q3)
    assert rows[("Calls", "Calls received")] == [f"{metrics.received:,}", "12"]
    assert rows[("Calls", "Eligible for the team")] == ["40", "12"]
    assert rows[("Calls", "Served by the team (eligible calls)")] == [str(metrics.served), "12"]
    assert rows[("Calls", "Served, share of eligible calls")] == ["80.0%", "100.0%"]
    assert rows[("Calls", "Unserved: No unit free")] == ["8", "0"]
    assert "Wrote" in stdout.getvalue()
    event = AuditEvent.objects.get(action="report.export")
    assert event.detail == {"period": "2026-Q3", "format": "csv", "suppressed": False}


def test_suppressed_report_hides_small_counts_and_what_would_reveal_them(quarters, tmp_path):
    out = tmp_path / "q3.csv"
    call_command("report", period="2026-Q3", format="csv", out=str(out), suppress=True)
    _header, rows = rows_of(out.read_text())
    assert rows[("Calls", "Unserved: No unit free")][0] == "<11"
    # 40 eligible = 32 served + 8 unserved: with 40 shown, 32 would give the 8 away.
    assert rows[("Calls", "Eligible but unserved")][0] == "<11"
    assert rows[("Calls", "Served by the team (eligible calls)")][0] == "*"
    assert rows[("Calls", "Served, share of eligible calls")][0] == "–"
    assert (
        "Note",
        "Counts from 1 to 10 are shown as <11, and some others as * so that they "
        "cannot be worked out by subtraction.",
    ) in rows


def test_xlsx_report_holds_the_same_rows(quarters, tmp_path):
    call_command("report", period="2026-Q3", format="csv", out=str(tmp_path / "r.csv"))
    call_command("report", period="2026-Q3", format="xlsx", out=str(tmp_path / "r.xlsx"))
    _header, rows = rows_of((tmp_path / "r.csv").read_text())
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert "program report, 2026-Q3" in sheet["A1"].value
    table = {
        (r[0], r[1]): [r[2], r[3]]
        for r in sheet.iter_rows(min_row=5, values_only=True)
        if r[0] and r[1] and r[0] != "Note"
    }
    assert table == {k: v for k, v in rows.items() if k[0] != "Note"}


def test_a_period_with_no_calls_says_so(quarters, tmp_path):
    out = tmp_path / "empty.csv"
    stdout = io.StringIO()
    call_command("report", period="2025-Q1", format="csv", out=str(out), stdout=stdout)
    assert "No calls were received in 2025-Q1" in stdout.getvalue()
    _header, rows = rows_of(out.read_text())
    assert rows[("Calls", "Calls received")] == ["0", "0"]
    assert rows[("Calls", "Served, share of eligible calls")] == ["–", "–"]


def test_bad_period_and_bad_destination_are_clear_errors(quarters, tmp_path):
    with pytest.raises(CommandError, match="use a quarter"):
        call_command("report", period="Q3", format="csv", out=str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="is a folder"):
        call_command("report", period="2026-Q3", format="csv", out=str(tmp_path))
    assert not AuditEvent.objects.filter(action="report.export").exists()


@pytest.mark.parametrize("period", ["2026-07", "2026", "2026-07-01..2026-08-15", "2099-Q1"])
def test_a_suppressed_copy_is_only_for_a_whole_ended_quarter(quarters, tmp_path, period):
    out = tmp_path / "r.csv"
    with pytest.raises(CommandError, match="whole calendar quarter"):
        call_command("report", period=period, format="csv", out=str(out), suppress=True)
    assert not out.exists()
    assert not AuditEvent.objects.filter(action="report.export").exists()
