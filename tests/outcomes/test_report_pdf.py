"""The program report as a PDF and the report page: the dashboard's own numbers, suppression for
outside parties, the narrative, errors by field, audited downloads, one agency's reports only."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.outcomes.disclosure import program_values, publish
from smartresponse.outcomes.models import ReportRun
from smartresponse.outcomes.report_pdf import parse_narrative
from smartresponse.outcomes.report_services import (
    last_complete_quarter,
    report_request,
    report_run_execute,
)
from smartresponse.outcomes.selectors import Period, local_today, program_figures
from tests.conftest import make_agency

pytestmark = pytest.mark.django_db

Q3 = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))


# ------------------------------------------------------------------------------ reading a PDF
# No PDF library is installed, so the test reads the file itself: the text of each Tj/TJ
# operator, decoded through the font's ToUnicode map (fpdf2 writes glyph codes, not text).


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for m in re.finditer(rb"(?m)^(\d+) 0 obj\s*", data):
        num, pos = int(m[1]), m.end()
        end = data.find(b"endobj", pos)
        head_end = data.find(b"stream", pos)
        if head_end == -1 or head_end > end:
            out[num] = (data[pos:end], None)
            continue
        head = data[pos:head_end]
        length = int(re.search(rb"/Length (\d+)", head)[1])  # type: ignore[index]
        start = head_end + len(b"stream")
        start += 2 if data[start : start + 2] == b"\r\n" else 1
        raw = data[start : start + length]
        if b"/FlateDecode" in head:
            raw = zlib.decompress(raw)
        out[num] = (head, raw)
        # Skip past the stream, whose bytes may contain anything.
    return out


def _cmap(stream: bytes) -> dict[bytes, str]:
    table: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            a, b, first = int(lo, 16), int(hi, 16), int(dst, 16)
            for code in range(a, b + 1):
                table[code.to_bytes(len(lo) // 2, "big")] = chr(first + code - a)
    return table


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes, escapes resolved."""
    out, i = bytearray(), 0
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(raw):
        c = raw[i : i + 1]
        if c == b"\\":
            nxt = raw[i + 1 : i + 2]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif nxt.isdigit():
                octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])[0]  # type: ignore[index]
                out.append(int(octal, 8))
                i += 1 + len(octal)
            else:
                out += nxt
                i += 2
        else:
            out += c
            i += 1
    return bytes(out)


TOKEN = re.compile(
    rb"/(\w+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj|<([0-9A-Fa-f]*)>\s*Tj|\[(.*?)\]\s*TJ", re.S
)


def pdf_text(data: bytes) -> list[str]:
    """The PDF's text runs in page order, one string per text operator."""
    assert data.startswith(b"%PDF")
    objects = _objects(data)
    maps: dict[str, dict[bytes, str]] = {}
    for head, _stream in objects.values():
        for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", head):
            font_head = objects[int(num)][0]
            ref = re.search(rb"/ToUnicode (\d+) 0 R", font_head)
            if ref:
                maps[name.decode()] = _cmap(objects[int(ref[1])][1] or b"")
    pages = re.findall(rb"/Kids \[([^\]]*)\]", objects[1][0])[0]
    runs: list[str] = []
    for page in re.findall(rb"(\d+) 0 R", pages):
        contents = int(re.search(rb"/Contents (\d+) 0 R", objects[int(page)][0])[1])  # type: ignore[index]
        font: dict[bytes, str] = {}
        for m in TOKEN.finditer(objects[contents][1] or b""):
            if m[1]:
                font = maps.get(m[1].decode(), {})
                continue
            if m[2] is not None:
                parts = [_literal(m[2])]
            elif m[3] is not None:
                parts = [bytes.fromhex(m[3].decode())]
            else:
                parts = [_literal(s) for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)", m[4])]
            text = ""
            for raw in parts:
                text += "".join(font.get(raw[i : i + 2], "?") for i in range(0, len(raw), 2))
            runs.append(text)
    return runs


def figure(runs: list[str], metric: str) -> tuple[str, str]:
    """The two figures printed after a metric in the PDF's table."""
    i = runs.index(metric)
    return runs[i + 1], runs[i + 2]


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def director(make_user):
    return make_user(Role.DIRECTOR)


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


def form(**kw: Any) -> dict[str, Any]:
    data = {
        "period_kind": "quarter",
        "quarter": "2026-Q3",
        "format": "pdf",
        "summary": "Our first full quarter of round-the-clock coverage.",
        "highlights": "- Two new vans\n- A peer worker joined",
    }
    data.update(kw)
    return data


def download(client, user, run) -> bytes:
    client.force_login(user)
    response = client.get(reverse("report-file", args=[run.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --------------------------------------------------------------------------------------- tests


def test_pdf_figures_are_the_dashboards(quarters, director, client):
    run = report_request(user=director, data=form())
    assert run.status == "done" and run.progress == 100
    data = download(client, director, run)
    runs = pdf_text(data)
    metrics, costs = program_figures(director, Q3)
    shown = publish(*program_values(metrics, costs), suppressed=False)
    for metric, key in (
        ("Calls received", "received"),
        ("Eligible for the team", "eligible"),
        ("Served by the team (eligible calls)", "served"),
        ("Eligible but unserved", "eligible_unserved"),
        ("Unserved: No unit free", "unserved.no_unit"),
    ):
        assert figure(runs, metric)[0] == shown.show(key), metric
    assert figure(runs, "Calls received") == ("65", "12")
    assert figure(runs, "Served, share of eligible calls") == ("80.0%", "100.0%")
    # The title block, the narrative (bullets kept) and the charts.
    text = "\n".join(runs)
    assert "Lakeside" in runs[0]
    assert "Program report: 2026-Q3" in text
    assert "Compared with: 2026-Q2, 2026-04-01 to 2026-06-30" in text
    assert "Our first full quarter of round-the-clock coverage." in text
    assert "• Two new vans" in text
    assert "Calls per week" in text and "Eligible but unserved, by reason" in text
    # Two charts drawn; no unit was sent to these calls, so no response intervals to draw.
    assert data.count(b"/Subtype /Image") == 2
    assert "No program unit was sent to a call in this period." in text
    assert "Page 1 of" in text
    assert "Suppressed for outside parties" not in text


def test_outside_party_copy_hides_small_counts_in_table_and_charts(quarters, director, client):
    run = report_request(user=director, data=form(outside="on"))
    assert run.suppressed
    runs = pdf_text(download(client, director, run))
    text = "\n".join(runs)
    assert "Suppressed for outside parties: small counts are hidden (see the notes)." in text
    assert figure(runs, "Unserved: No unit free")[0] == "<11"
    assert figure(runs, "Eligible but unserved")[0] == "<11"
    assert figure(runs, "Served by the team (eligible calls)")[0] == "*"
    assert figure(runs, "Calls received") == ("65", "12")
    # Q2's 12 calls all served: no small count there.
    # The charts' captions print the published strings, never the hidden numbers.
    assert "<11 eligible calls were not served: No unit free <11" in text
    assert not re.search(r"\b8 eligible calls\b", text)
    assert "Counts from 1 to 10 are shown as <11" in text


def test_analyst_gets_a_suppressed_copy_and_sees_no_exact_one(quarters, director, analyst, client):
    exact = report_request(user=director, data=form())
    run = report_request(user=analyst, data=form(outside=""))
    assert run.suppressed and not exact.suppressed
    client.force_login(analyst)
    response = client.get(reverse("report-file", args=[run.pk]))
    assert response["Cache-Control"] == "private, no-store"  # no copy left in a browser cache
    runs = pdf_text(download(client, analyst, run))
    assert figure(runs, "Unserved: No unit free")[0] == "<11"
    # The director's exact copy is not the analyst's to read, nor listed for them.
    client.force_login(analyst)
    assert client.get(reverse("report-file", args=[exact.pk])).status_code == 404
    page = client.get(reverse("report")).content.decode()
    assert reverse("report-file", args=[run.pk]) in page
    assert reverse("report-file", args=[exact.pk]) not in page


@pytest.mark.parametrize(
    "period",
    [
        {"period_kind": "range", "start": "2026-07-01", "end": "2026-08-15"},
        # A month beside its quarter, or a year beside three of its quarters (the public page
        # shows them), would give a hidden count back by subtraction.
        {"period_kind": "month", "month": "2026-07"},
        {"period_kind": "year", "year": "2025"},
    ],
)
def test_anything_but_a_quarter_is_refused_for_outside_parties_and_nothing_is_stored(
    quarters, director, period
):
    data = form(**period, outside="on")
    with pytest.raises(ValidationError) as exc:
        report_request(user=director, data=data)
    assert "covers a whole quarter" in exc.value.message_dict["period_kind"][0]
    assert not ReportRun.objects.exists()
    assert not AuditEvent.objects.filter(action="report.request").exists()
    # The same range for program staff is fine.
    run = report_request(user=director, data={**data, "outside": ""})
    assert run.period_label == data.get(data["period_kind"], "2026-07-01..2026-08-15")
    assert run.status == "done"


def test_page_shows_field_errors_and_changes_nothing(quarters, director, analyst, client):
    client.force_login(analyst)
    response = client.post(
        reverse("report"),
        form(period_kind="range", start="2026-07-01", end="2026-07-31", summary="x" * 7000),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_period_kind_error"' in html
    assert "Your reports hide small counts" in html
    assert 'id="id_summary_error"' in html and "At most 6,000 characters" in html
    client.force_login(director)
    response = client.post(reverse("report"), form(period_kind="month", month="2026-13"))
    assert response.status_code == 400
    assert 'id="id_month_error"' in response.content.decode()
    # A tampered year 1 (whose period before is no date) is refused, not run to a failure.
    response = client.post(reverse("report"), form(period_kind="quarter", quarter="0001-Q1"))
    assert response.status_code == 400
    assert "Choose a period from 1970 on." in response.content.decode()
    assert not ReportRun.objects.exists()


def test_a_period_with_no_calls_says_so(quarters, director, client):
    run = report_request(user=director, data=form(quarter="2025-Q1", outside="on"))
    assert run.status == "done"
    runs = pdf_text(download(client, director, run))
    text = "\n".join(runs)
    assert "No calls were received in 2025-Q1: rates show as –." in text
    assert figure(runs, "Calls received") == ("0", "0")
    assert figure(runs, "Served, share of eligible calls") == ("–", "–")
    assert "Charts" not in runs


def test_page_produces_a_report_with_progress_and_audited_download(quarters, director, client):
    client.force_login(director)
    page = client.get(reverse("report"))
    assert page.status_code == 200
    html = page.content.decode()
    today = local_today(quarters)
    last = last_complete_quarter(today).label
    assert f'<option value="{last}" selected>' in html
    response = client.post(reverse("report"), form())
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "report-run", args=[run.pk]
    )
    assert AuditEvent.objects.get(action="report.request").detail == {
        "period": "2026-Q3",
        "format": "pdf",
        "suppressed": False,
    }
    status = client.get(reverse("report-progress", args=[run.pk])).content.decode()
    assert 'value="100"' in status and "Download report-lakeside-2026-Q3.pdf" in status
    response = client.get(reverse("report-file", args=[run.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="report-lakeside-2026-Q3.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="report.export")
    assert event.username == director.username and event.object_id == str(run.pk)
    assert event.detail["period"] == "2026-Q3" and event.detail["suppressed"] is False


def test_progress_bar_while_the_run_waits_for_a_worker(quarters, director, client):
    run = ReportRun.objects.create(
        agency=quarters,
        requested_by=director,
        period_label="2026-Q3",
        period_kind="quarter",
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        format="pdf",
        status="running",
        progress=40,
        step="before",
    )
    client.force_login(director)
    html = client.get(reverse("report-run", args=[run.pk])).content.decode()
    assert '<progress max="100" value="40"' in html
    assert "Counting the figures of the period before" in html
    assert f'hx-get="{reverse("report-progress", args=[run.pk])}"' in html
    assert client.get(reverse("report-file", args=[run.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_a_failed_run_says_so_without_the_traceback(quarters, director, client):
    run = ReportRun.objects.create(
        agency=quarters,
        requested_by=director,
        period_label="not a period",
        period_kind="quarter",
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        format="pdf",
    )
    report_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.file is None
    assert run.error == (
        "The report could not be produced (PeriodError). The server log has the details."
    )
    client.force_login(director)
    html = client.get(reverse("report-progress", args=[run.pk])).content.decode()
    assert "The report failed." in html and "hx-get" not in html  # polling stops
    assert client.get(reverse("report-file", args=[run.pk])).status_code == 404


def test_narrative_is_kept_for_the_next_report_of_the_period(quarters, director, client):
    report_request(user=director, data=form(format="csv", challenges="Staffing nights."))
    client.force_login(director)
    response = client.get(
        reverse("report-narrative"), {"period_kind": "quarter", "quarter": "2026-Q3"}
    )
    assert response.status_code == 200 and "Staffing nights." in response.content.decode()
    other = client.get(
        reverse("report-narrative"), {"period_kind": "quarter", "quarter": "2026-Q1"}
    )
    assert other.status_code == 204  # nothing saved: the page keeps what is typed


def test_the_analyst_is_not_given_the_narrative_of_an_exact_report(
    quarters, director, analyst, client
):
    """The narrative of an exact report may quote its small counts ("3 arrests in the North
    End"): whoever sees small counts suppressed gets only the narrative of a suppressed copy."""
    report_request(user=director, data=form(format="csv", challenges="3 arrests up north."))
    client.force_login(analyst)
    asked = {"period_kind": "quarter", "quarter": "2026-Q3"}
    assert client.get(reverse("report-narrative"), asked).status_code == 204
    assert "3 arrests up north." not in client.get(reverse("report")).content.decode()
    report_request(user=director, data=form(format="csv", outside="on", challenges="Nights."))
    response = client.get(reverse("report-narrative"), asked)
    assert response.status_code == 200 and "Nights." in response.content.decode()
    assert "Nights." in client.get(reverse("report")).content.decode()


def test_csv_and_excel_from_the_page_are_the_commands_files(quarters, director, client, tmp_path):
    run = report_request(user=director, data=form(format="csv"))
    out = tmp_path / "q3.csv"
    call_command("report", period="2026-Q3", format="csv", out=str(out))
    assert download(client, director, run).decode() == out.read_text()


def test_another_agencys_report_is_not_found(quarters, director, make_user, client):
    run = report_request(user=director, data=form(format="csv"))
    elsewhere = make_agency("elsewhere")
    stranger = make_user(Role.DIRECTOR, agency_=elsewhere)
    client.force_login(stranger)
    for name in ("report-run", "report-progress", "report-file"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404, name
    assert not AuditEvent.objects.filter(action="report.export").exists()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.DISPATCHER, Role.OFFICER])
def test_roles_without_the_capability_are_refused(quarters, make_user, client, role):
    user = make_user(role)
    client.force_login(user)
    assert client.get(reverse("report")).status_code == 403
    assert client.post(reverse("report"), form()).status_code == 403
    assert not ReportRun.objects.exists()


def test_command_writes_a_pdf_with_the_narrative(quarters, tmp_path):
    narrative = tmp_path / "narrative.md"
    narrative.write_text(
        "Opening words.\n\n## Highlights\n- Café partnership on Church St\n\n## Challenges\nNights.\n",
        encoding="utf-8",
    )
    out = tmp_path / "q3.pdf"
    call_command("report", period="2026-Q3", format="pdf", out=str(out), narrative=str(narrative))
    runs = pdf_text(out.read_bytes())
    assert figure(runs, "Calls received") == ("65", "12")
    text = "\n".join(runs)
    assert "Opening words." in text and "Highlights" in runs
    assert "• Café partnership on Church St" in text
    assert AuditEvent.objects.get(action="report.export").detail["format"] == "pdf"
    with pytest.raises(CommandError, match="goes with --format pdf"):
        call_command(
            "report",
            period="2026-Q3",
            format="csv",
            out=str(tmp_path / "x.csv"),
            narrative=str(narrative),
        )


def test_narrative_sections_split_on_headings():
    sections = parse_narrative("Intro\n## One\nA\n\nB\n## Two\n\n## Three\nC")
    assert [(s.heading, s.text) for s in sections] == [
        ("", "Intro"),
        ("One", "A\n\nB"),
        ("Two", ""),
        ("Three", "C"),
    ]
