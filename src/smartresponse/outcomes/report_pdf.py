"""The program report as a PDF (fpdf2), in plain Python (no Django): a title block, the program's
own narrative, the figures of the period beside the period before, charts and notes.

The figures are the report's published strings (report.py), so the PDF, the CSV, the workbook and
the dashboard print the same numbers. Charts arrive already rendered (PNG bytes) from the same
published figures; this module only places them. Text is set in DejaVu Sans, vendored with its
licence in fonts/, because the PDF core fonts cover Latin-1 only.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

if TYPE_CHECKING:
    from .report import Report

FONTS = Path(__file__).with_name("fonts")
FAMILY = "DejaVu"
ACCENT = (11, 92, 173)
MUTED = (90, 98, 107)
LIGHT = (232, 238, 245)
SUPPRESSED_LABEL = "Suppressed for outside parties"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# fontTools logs every step of subsetting the font at INFO: a page of noise for each report.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


@dataclass(frozen=True)
class NarrativeSection:
    """A section of the program's own words: a heading and its text (paragraphs, "- " bullets)."""

    heading: str
    text: str


@dataclass(frozen=True)
class ChartImage:
    """A chart placed in the report: its title, the PNG (None: no chart, the caption says why)
    and the sentence under it."""

    title: str
    png: bytes | None
    caption: str = ""


def parse_narrative(text: str) -> list[NarrativeSection]:
    """Markdown-ish text: each line starting with "## " opens a section; text before the first
    heading is an untitled section. (The PDF leaves out sections without text.)"""
    sections: list[NarrativeSection] = []
    heading = ""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("## "):
            if heading or "".join(lines).strip():
                sections.append(NarrativeSection(heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    if heading or "".join(lines).strip():
        sections.append(NarrativeSection(heading, "\n".join(lines).strip()))
    return [s for s in sections if s.text or s.heading]


def clean(text: str) -> str:
    """Text as typed, without control characters (which PDF text cannot carry)."""
    return CONTROL.sub("", unicodedata.normalize("NFC", text))


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        y = self.h - 12
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, y)
        self.cell(self.width * 0.75, 5, self.footer_text, align="L")
        self.set_xy(self.l_margin + self.width * 0.75, y)
        self.cell(self.width * 0.25, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    @property
    def width(self) -> float:
        return float(self.epw)

    def room(self) -> float:
        """Height left on the page above the bottom margin."""
        return float(self.h - self.b_margin - self.get_y())

    def keep(self, height: float) -> None:
        """Start a new page unless `height` millimetres fit on this one."""
        if self.room() < height:
            self.add_page()

    def heading(self, text: str, size: float = 13) -> None:
        self.set_font(FAMILY, "B", size)
        self.set_text_color(*ACCENT)
        self.multi_cell(
            self.width, size * 0.5, clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_text_color(0, 0, 0)
        self.ln(1.5)

    def paragraph(
        self, text: str, size: float = 10, color: tuple[int, int, int] = (0, 0, 0)
    ) -> None:
        self.set_font(FAMILY, "", size)
        self.set_text_color(*color)
        self.multi_cell(
            self.width, size * 0.5, clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_text_color(0, 0, 0)


def _title(pdf: _Document, report: Report) -> None:
    p, b = report.period, report.before
    pdf.set_font(FAMILY, "B", 20)
    pdf.multi_cell(
        pdf.width, 9, clean(report.agency), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FAMILY, "B", 14)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(
        pdf.width, 7, f"Program report: {p.label}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    pdf.set_font(FAMILY, "", 10)
    for line in (
        f"Period: {p.label}, {p.start.isoformat()} to {p.end.isoformat()} ({p.days} days)",
        f"Compared with: {b.label}, {b.start.isoformat()} to {b.end.isoformat()}",
        f"Generated: {report.generated_at:%Y-%m-%d %H:%M} UTC",
    ):
        pdf.cell(pdf.width, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if report.suppressed:
        pdf.ln(2)
        pdf.set_fill_color(*LIGHT)
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(
            pdf.width,
            6,
            f"{SUPPRESSED_LABEL}: small counts are hidden (see the notes).",
            fill=True,
            padding=2,
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(4)


def _narrative(pdf: _Document, narrative: Sequence[NarrativeSection]) -> None:
    sections = [s for s in narrative if s.text.strip()]
    if not sections:
        return
    for section in sections:
        pdf.keep(20)
        if section.heading:
            pdf.heading(section.heading, 12)
        for block in re.split(r"\n\s*\n", section.text.strip()):
            lines = [ln.rstrip() for ln in block.split("\n") if ln.strip()]
            for line in lines:
                bullet = re.match(r"^\s*[-*•]\s+(.*)$", line)
                if bullet:
                    pdf.set_x(pdf.l_margin + 4)
                    pdf.set_font(FAMILY, "", 10)
                    pdf.multi_cell(
                        pdf.width - 4,
                        5,
                        "• " + clean(bullet[1]),
                        align="L",
                        new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT,
                    )
                else:
                    pdf.paragraph(line)
            pdf.ln(2)
        pdf.ln(1)
    pdf.ln(2)


def _figures(pdf: _Document, report: Report) -> None:
    pdf.keep(40)
    pdf.heading("Figures", 15)
    pdf.paragraph(
        f"Every figure of {report.period.label} beside {report.before.label}, as the "
        "program dashboard shows it.",
        9,
        MUTED,
    )
    pdf.ln(2)
    metric_width = pdf.width - 2 * 34
    for section, rows in groupby(report.rows, key=lambda r: r.section):
        pdf.keep(28)
        pdf.heading(section, 11)
        pdf.set_font(FAMILY, "", 9)
        with pdf.table(
            col_widths=(metric_width, 34, 34),
            text_align=("LEFT", "RIGHT", "RIGHT"),
            width=pdf.width,
            line_height=5,
            padding=(1, 1.5),
            repeat_headings=1,
            cell_fill_color=LIGHT,
            cell_fill_mode="ROWS",
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row(("Metric", report.period.label, report.before.label))
            for r in rows:
                table.row((clean(r.metric), r.current, r.previous))
        pdf.ln(4)


def _charts(pdf: _Document, charts: Sequence[ChartImage]) -> None:
    if not charts:
        return
    pdf.keep(60)
    pdf.heading("Charts", 15)
    for chart in charts:
        height = 0.0
        width = pdf.width
        if chart.png is not None:
            px_w, px_h = png_size(chart.png)
            # Charts are rendered at twice their size: 1 px = 0.5 CSS px = 0.132 mm.
            width = min(pdf.width, px_w * 25.4 / 96 / 2)
            height = width * px_h / px_w
        pdf.keep(height + 22)
        pdf.heading(chart.title, 11)
        if chart.png is not None:
            pdf.image(io.BytesIO(chart.png), w=width, h=height, alt_text=clean(chart.caption))
            pdf.ln(2)
        if chart.caption:
            pdf.paragraph(chart.caption, 9, MUTED)
        pdf.ln(5)


def _notes(pdf: _Document, notes: Sequence[str]) -> None:
    if not notes:
        return
    pdf.keep(30)
    pdf.heading("Notes", 12)
    for note in notes:
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(
            pdf.width, 4.8, "• " + clean(note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1)


def to_pdf(
    report: Report,
    charts: Sequence[ChartImage] = (),
    narrative: Sequence[NarrativeSection] = (),
    *,
    compress: bool = True,
) -> bytes:
    """The report as PDF bytes."""
    footer = f"{report.agency} · program report {report.period.label}"
    if report.suppressed:
        footer += f" · {SUPPRESSED_LABEL.lower()}"
    pdf = _Document(clean(footer))
    pdf.set_compression(compress)
    pdf.set_title(f"{report.agency}: program report {report.period.label}")
    pdf.set_author(report.agency)
    pdf.set_creator("SMART Response")
    pdf.set_creation_date(report.generated_at)
    pdf.set_lang("en")
    pdf.add_page()
    _title(pdf, report)
    _narrative(pdf, narrative)
    _figures(pdf, report)
    _charts(pdf, charts)
    _notes(pdf, report.notes)
    out: Any = pdf.output()
    return bytes(out)
