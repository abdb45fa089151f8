"""The page furniture every evidence PDF shares: header, footer, headings, tables, charts.

Why one base: an auditor compares documents side by side, so every report carries the firm
in the header, the generation instant and "page n of m" in the footer, and the same fonts.
Rule 1: a core font (Helvetica/Courier) keeps the PDF small and needs no font files; core
fonts are latin-1, so every string is made latin-1-safe on its way in (``normalize_text``):
common typography is transliterated, anything else becomes "?", nothing raises.
Rule 2: no clock reads: the generation instant is given, and it is also the PDF's creation
date, so the same data gives the same bytes.
Rule 3: charts are fpdf2 primitives (rectangles, lines, text): no plotting library, and
the numbers drawn are the numbers in the tables beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_TRANSLIT = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2022": "*",
        "\u2026": "...",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
INK = (32, 64, 120)
ALERT = (190, 30, 30)
MUTED = (120, 120, 120)
BAND = (225, 240, 225)


def safe(text: str) -> str:
    """``text`` in latin-1: typography transliterated, anything else replaced by '?'."""
    return text.translate(_TRANSLIT).encode("latin-1", "replace").decode("latin-1")


def instant(text: str | None) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime (``Z`` accepted)."""
    if not text:
        return datetime(1970, 1, 1, tzinfo=UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def when(text: str | None) -> str:
    """An ISO instant as people read it (UTC named), or a dash."""
    return f"{instant(text):%Y-%m-%d %H:%M:%S} UTC" if text else "-"


def pct(rate: float | None) -> str:
    """A rate as a percentage; no rate (0/0) is said in words, never shown as 0 %."""
    return "no live answers" if rate is None else f"{rate * 100:.2f} %"


class ReportDoc(FPDF):
    """An A4 portrait document with lexdial's header and footer (see module rules)."""

    def __init__(
        self, firm: str, title: str, generated_at: str, *, simulated: bool = False
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.firm = firm
        #: a sandbox's records (demo, training, tests): every page says they never happened
        self.simulated = simulated
        self.doc_title = f"SIMULATED, NOT EVIDENCE - {title}" if simulated else title
        self.generated = instant(generated_at)
        self.set_creation_date(self.generated)
        self.set_title(safe(f"{title} - {firm}"))
        self.set_author(safe(firm))
        self.set_creator("lexdial")
        self.set_margins(15, 22, 15)
        self.set_auto_page_break(True, margin=18)
        self.add_page()

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(safe(text))

    def header(self) -> None:
        self.set_y(10)
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(*INK)
        self.cell(self.epw / 2, 5, self.firm)
        self.set_font("Helvetica", "B" if self.simulated else "", 9)
        if self.simulated:
            self.set_text_color(*ALERT)
        self.cell(self.epw / 2, 5, self.doc_title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*INK)
        self.line(self.l_margin, 16, self.w - self.r_margin, 16)
        self.set_text_color(0, 0, 0)
        self.set_y(22)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*MUTED)
        stamp = f"Generated {self.generated:%Y-%m-%d %H:%M:%S} UTC by lexdial"
        self.cell(self.epw / 2, 5, stamp)
        self.cell(self.epw / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- text ---------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font("Helvetica", "", 10)
            self.multi_cell(0, 5, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def h1(self, text: str) -> None:
        if self.get_y() > self.page_break_trigger - 30:
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*INK)
        self.multi_cell(0, 6.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def para(self, text: str, size: float = 9.5, style: str = "") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def bullets(self, items: Sequence[str], size: float = 9.5) -> None:
        self.set_font("Helvetica", "", size)
        for item in items:
            self.set_x(self.l_margin + 3)
            self.multi_cell(
                0, size * 0.5, "- " + item, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        self.ln(1.5)

    def mono(self, text: str, size: float = 8.5) -> None:
        """A line kept whole (hashes, anchors): a wrapped hash cannot be copied back."""
        self.set_font("Courier", "", size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def alert(self, text: str, bad: bool) -> None:
        self.set_text_color(*(ALERT if bad else INK))
        self.para(text, 10, "B")
        self.set_text_color(0, 0, 0)

    # -- tables -------------------------------------------------------------------------

    def kv(self, pairs: Sequence[tuple[str, object]], key_width: float = 62) -> None:
        """Two columns, label and value."""
        self.grid(
            ("", ""),
            [(k, _text(v)) for k, v in pairs],
            (key_width, self.epw - key_width),
            heading=False,
        )

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float] | None = None,
        *,
        size: float = 8.5,
        heading: bool = True,
    ) -> None:
        """A bordered table; ``widths`` in mm (default: equal shares of the page width)."""
        if not rows:
            return
        self.set_font("Helvetica", "", size)
        self.set_draw_color(170, 170, 170)
        self.set_fill_color(255, 255, 255)
        cols = widths or [self.epw / len(headings)] * len(headings)
        scale = self.epw / sum(cols)
        with self.table(
            col_widths=tuple(w * scale for w in cols),
            first_row_as_headings=heading,
            line_height=size * 0.5,
            padding=0.8,
            text_align="LEFT",
            width=self.epw,
        ) as table:
            if heading:
                head = table.row()
                for h in headings:
                    head.cell(h)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_text(value))
        self.ln(2)

    # -- charts -------------------------------------------------------------------------

    def bar_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        *,
        value_text: Callable[[float], str] = lambda v: f"{v:g}",
        limit: tuple[float, str] | None = None,
        alert: Callable[[int, float], bool] = lambda i, v: False,
        band: tuple[int, int, str] | None = None,
        height: float = 48,
        label_zero: bool = False,
    ) -> None:
        """Vertical bars; ``limit`` draws a dashed reference line, ``band`` shades bars
        ``[start, end)`` (e.g. the calling window), ``alert`` colours a bar red."""
        if self.get_y() + height + 22 > self.page_break_trigger:
            self.add_page()
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        x0, y0 = self.l_margin + 14, self.get_y() + 4
        w, h = self.epw - 16, height
        top = max([*values, limit[0] * 1.25 if limit else 0.0, 0.0]) or 1.0
        slot = w / max(len(values), 1)
        if band is not None:
            self.set_fill_color(*BAND)
            self.rect(x0 + band[0] * slot, y0, (band[1] - band[0]) * slot, h, style="F")
            self.set_font("Helvetica", "", 6.5)
            self.set_xy(x0 + band[0] * slot, y0 - 3.5)
            self.cell((band[1] - band[0]) * slot, 3, band[2], align="C")
        self.set_draw_color(90, 90, 90)
        self.set_line_width(0.2)
        self.line(x0, y0, x0, y0 + h)
        self.line(x0, y0 + h, x0 + w, y0 + h)
        self.set_font("Helvetica", "", 6.5)
        for frac in (0.0, 0.5, 1.0):
            y = y0 + h - frac * h
            self.line(x0 - 1, y, x0, y)
            self.set_xy(self.l_margin, y - 1.5)
            self.cell(13, 3, value_text(top * frac), align="R")
        small = len(values) > 12
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            bar_h = h * value / top
            bx = x0 + i * slot + slot * 0.15
            self.set_fill_color(*(ALERT if alert(i, value) else INK))
            if bar_h > 0:
                self.rect(bx, y0 + h - bar_h, slot * 0.7, bar_h, style="F")
            self.set_font("Helvetica", "", 5.5 if small else 6.5)
            if value or label_zero:
                self.set_xy(x0 + i * slot, y0 + h - bar_h - 3.2)
                self.cell(slot, 3, value_text(value), align="C")
            self.set_xy(x0 + i * slot, y0 + h + 0.8)
            self.cell(slot, 3, label[: max(int(slot / 1.3), 2)], align="C")
        if limit is not None:
            y = y0 + h - h * limit[0] / top
            self.set_draw_color(*ALERT)
            self.set_dash_pattern(dash=1.5, gap=1)
            self.line(x0, y, x0 + w, y)
            self.set_dash_pattern()
            self.set_text_color(*ALERT)
            self.set_xy(x0 + w - 70, y - 3.5)
            self.cell(70, 3, limit[1], align="R")
            self.set_text_color(0, 0, 0)
        self.set_draw_color(0, 0, 0)
        self.set_fill_color(255, 255, 255)
        self.set_xy(self.l_margin, y0 + h + 7)

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())


def _text(value: object) -> str:
    """A table cell's text: instants in UTC, booleans as yes/no, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return f"{at:%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)
