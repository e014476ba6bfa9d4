"""The monthly assessment report as a PDF (A4, portrait), drawn with matplotlib.

What a manager sends upward: a title page (company, period, when and by whom
it was made), a summary paragraph, the KPI table against the previous period,
the rankings of companies, departments and stations, the complaint trend and
the category Pareto, and the orders overdue now. Text in the active language
(Chinese by default), in a CJK font embedded in the file (the glyphs used, with
a ToUnicode map: the text can be searched and copied).

No CJK font on the server (``fonts-wqy-microhei`` is the small one): the report
is made in English with a note on its title page saying so, and a warning is
logged; it never fails for want of a font.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from griddesk.engines import kpi
from griddesk.organisation.models import RoleChoice

from .selectors import CUSTOMER_LEVELS
from .templatetags.assessment_tags import KPI_LABELS, num

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # matplotlib itself is imported when a report is drawn

log = logging.getLogger(__name__)

#: CJK fonts looked for, best first (Debian: fonts-wqy-microhei, fonts-noto-cjk).
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei",
             "Microsoft YaHei", "PingFang SC")
LATIN_FONT = "DejaVu Sans"  # ships with matplotlib: digits, arrows and signs every CJK font lacks

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 50.0, 60.0, 56.0
INK, MUTED, RULE, SHADE, HEAD = "#1f2933", "#616e7c", "#cbd2d9", "#f0f4f8", "#dde6f0"
BETTER, WORSE, ACCENT = "#1e7b34", "#b42318", "#2f6fb5"

#: The KPIs in the rankings (the first orders them; every viewer sees it).
RANKING_KPIS = ("avg_score", "on_time_rate", "satisfaction_rate", "at_fault_rate", "complaints_per_10k")
OVERDUE_ROWS = 50


def cjk_font() -> str | None:
    """The first installed CJK font family, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


# ------------------------------------------------------------------ words and numbers


def period_title(period: kpi.Period) -> str:
    if period.kind is kpi.PeriodKind.MONTH:
        return _("%(month)s %(year)d") % {"month": _month(period.index), "year": period.year}
    if period.kind is kpi.PeriodKind.QUARTER:
        return _("Q%(quarter)d %(year)d") % {"quarter": period.index, "year": period.year}
    return _("Year %(year)d") % {"year": period.year}


def _month(n: int) -> str:
    """The month's name in a report title (Chinese: 10月), in its own context:
    Django's catalogue has the bare names, for dates."""
    return (pgettext("report month", "January"), pgettext("report month", "February"), pgettext("report month", "March"),
            pgettext("report month", "April"), pgettext("report month", "May"), pgettext("report month", "June"),
            pgettext("report month", "July"), pgettext("report month", "August"),
            pgettext("report month", "September"), pgettext("report month", "October"),
            pgettext("report month", "November"), pgettext("report month", "December"))[n - 1]


def report_title(period: kpi.Period) -> str:
    return {
        kpi.PeriodKind.MONTH: _("Monthly service assessment report"),
        kpi.PeriodKind.QUARTER: _("Quarterly service assessment report"),
        kpi.PeriodKind.YEAR: _("Annual service assessment report"),
    }[period.kind]


def kpi_unit(code: str) -> str:
    """The unit a KPI's value is read in (万户投诉率: complaints per 10,000 customers)."""
    unit = kpi.KPI_DEFS[code][1]
    if unit == "%":
        return "%"
    if unit == "h":
        return _("h")
    if code == "complaints_per_10k":
        return _("per 10k")
    return ""


def value_text(code: str, value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:.2f}"
    unit = kpi_unit(code)
    return f"{text}%" if unit == "%" else text


def change_text(code: str, cmp: dict[str, Any] | None) -> tuple[str, str]:
    """The change against the previous period as (text with arrow and sign, colour)."""
    if not cmp or cmp.get("change") is None:
        return "—", MUTED
    change = float(cmp["change"])
    if abs(change) < 0.005:
        return "= 0.00", MUTED
    arrow = "▲" if change > 0 else "▼"
    higher_is_better = kpi.KPI_DEFS[code][0]
    colour = BETTER if (change > 0) == higher_is_better else WORSE
    points = _(" pp") if kpi.KPI_DEFS[code][1] == "%" else ""
    return f"{arrow} {change:+.2f}{points}", colour


def _fraction(k: dict[str, Any]) -> str:
    if k["code"] == "complaints_per_10k" and not k["denominator"]:
        return _("No customers in this unit")
    return f"{num(k['numerator'])} / {num(k['denominator'])}"


def _when(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _overdue_for(deadline: datetime, now: datetime) -> str:
    hours = max(0.0, (now - deadline).total_seconds() / 3600)
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", int(hours)) % {"n": int(hours)}
    days = int(hours // 24)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def summary(report: dict[str, Any]) -> str:
    """The summary paragraph: what happened in the period, in numbers."""
    k = {row["code"]: row for row in report["kpis"]}
    received = int(k["complaints_per_10k"]["numerator"]) if "complaints_per_10k" in k else 0
    prev = int(report["received_previous"])
    parts = []
    if prev:
        pct = (received - prev) * 100.0 / prev
        parts.append(_("In %(period)s %(company)s received %(n)d valid complaints (previous period %(prev)d, %(pct)s).") % {
            "period": period_title(report["period"]), "company": report["company"], "n": received, "prev": prev,
            "pct": (_("up %(p).1f%%") % {"p": pct} if pct > 0 else _("down %(p).1f%%") % {"p": -pct} if pct < 0
                    else _("unchanged"))})
    else:
        parts.append(_("In %(period)s %(company)s received %(n)d valid complaints.") % {
            "period": period_title(report["period"]), "company": report["company"], "n": received})
    assessed = k.get("on_time_rate", {}).get("denominator") or 0
    if assessed:
        parts.append(_("%(n)d complaints were assessed.") % {"n": int(assessed)})
    figures = []
    for code in ("on_time_rate", "satisfaction_rate", "at_fault_rate", "complaints_per_10k", "avg_score"):
        row = k.get(code)
        if row is None or row["value"] is None:
            continue
        text = f"{KPI_LABELS[code]} {value_text(code, row['value'])}"
        change = (row.get("previous") or {}).get("change")
        if change is not None and abs(change) >= 0.005:
            text += _(" (%(sign)s%(change).2f%(unit)s against the previous period)") % {
                "sign": "+" if change > 0 else "", "change": change, "unit": _(" pp") if kpi.KPI_DEFS[code][1] == "%" else ""}
        figures.append(text)
    if figures:
        parts.append(_("Key figures: %(figures)s.") % {"figures": pgettext("list separator", "; ").join(figures)})
    top = [p for p in report["pareto"] if p["vital"]][:3]
    if top:
        parts.append(_("Most complaints concerned %(categories)s.") % {
            "categories": pgettext("list separator", ", ").join(_("%(name)s (%(n)d, %(share).1f%%)") % {"name": p["name"], "n": p["count"], "share": p["share"]} for p in top)})
    n_over = len(report["overdue"])
    parts.append(
        (ngettext("At %(when)s %(n)d order was overdue.", "At %(when)s %(n)d orders were overdue.", n_over)
         if n_over < OVERDUE_ROWS else _("At %(when)s %(n)d or more orders were overdue."))
        % {"when": _when(report["generated_at"]), "n": n_over}
        if n_over else _("At %(when)s no order was overdue.") % {"when": _when(report["generated_at"])}
    )
    # no space after a full-width stop (Chinese)
    return re.sub(r"(?<=[。；！？])\s+", "", " ".join(parts))


# ------------------------------------------------------------------ layout


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """The width of ``text`` in points, in the report's fonts: the sum of its
    characters' widths as matplotlib lays each out (kerning aside; measuring
    every prefix a paragraph is wrapped at would cost seconds)."""
    fonts = tuple(matplotlib_fonts())
    return sum(_measure(ch, float(size), weight, fonts) for ch in text)


def matplotlib_fonts() -> list[str]:
    from matplotlib import rcParams

    return list(rcParams["font.sans-serif"])


@functools.lru_cache(maxsize=8192)
def _measure(text: str, size: float, weight: str, fonts: tuple[str, ...]) -> float:
    from matplotlib.font_manager import FontProperties

    width, _h, _d = _renderer().get_text_width_height_descent(
        text, FontProperties(family=list(fonts), size=size, weight=weight), ismath=False)
    return float(width)


@functools.lru_cache(maxsize=1)
def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 72)  # 72 dpi: pixels are points


def wrap(text: str, size: float, width: float, weight: str = "normal") -> list[str]:
    """Lines of at most ``width`` points; breaks anywhere in Chinese, at spaces in Latin words."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and text_width((line + token).rstrip(), size, weight) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> Iterator[str]:
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            if word:
                yield word
                word = ""
            yield ch
        elif ch == " ":
            yield word + " "
            word = ""
        else:
            word += ch
    if word:
        yield word


def fit(text: str, size: float, width: float, weight: str = "normal") -> str:
    if text_width(text, size, weight) <= width:
        return text
    while text and text_width(text + "…", size, weight) > width:
        text = text[:-1]
    return text + "…"


@dataclass
class Column:
    title: str
    width: float  # points
    align: str = "left"  # left / right / center


class Document:
    """Pages of a PdfPages, written top-down with a cursor in points."""

    def __init__(self, pdf: Any, footer: str, *, bold: str = "bold") -> None:
        self.pdf = pdf
        self.footer = footer
        self.bold = bold  # "normal" when the font has no bold face (WenQuanYi Micro Hei)
        self.fig: Any = None
        self.page = 0
        self.y = 0.0

    # -- pages
    def new_page(self, *, furniture: bool = True) -> None:
        from matplotlib.figure import Figure

        self.close_page()
        self.fig = Figure(figsize=(PAGE_W / 72, PAGE_H / 72))
        self.page += 1
        self.y = PAGE_H - MARGIN_TOP
        if furniture:
            self.line(MARGIN_X, PAGE_W - MARGIN_X, MARGIN_BOTTOM - 14, RULE)
            self.text(MARGIN_X, MARGIN_BOTTOM - 28, self.footer, size=8, color=MUTED)
            self.text(PAGE_W - MARGIN_X, MARGIN_BOTTOM - 28, _("Page %(n)d") % {"n": self.page}, size=8, color=MUTED,
                      ha="right")

    def close_page(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def room(self, height: float) -> None:
        """A new page unless ``height`` points fit below the cursor."""
        if self.y - height < MARGIN_BOTTOM:
            self.new_page()

    # -- drawing primitives (x, y in points from the bottom left)
    def text(self, x: float, y: float, s: str, *, size: float = 10, color: str = INK, ha: str = "left",
             weight: str = "normal", va: str = "baseline") -> None:
        self.fig.text(x / PAGE_W, y / PAGE_H, s, fontsize=size, color=color, ha=ha, va=va, weight=weight)

    def line(self, x0: float, x1: float, y: float, color: str = RULE, width: float = 0.6) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([x0 / PAGE_W, x1 / PAGE_W], [y / PAGE_H, y / PAGE_H], color=color, linewidth=width))

    def box(self, x: float, y: float, w: float, h: float, color: str) -> None:
        from matplotlib.patches import Rectangle

        self.fig.add_artist(Rectangle((x / PAGE_W, y / PAGE_H), w / PAGE_W, h / PAGE_H, facecolor=color,
                                      edgecolor="none", transform=self.fig.transFigure))

    # -- flowing content
    def heading(self, s: str, *, size: float = 14) -> None:
        self.room(size * 2 + 60)
        self.y -= size * 1.4
        self.text(MARGIN_X, self.y, s, size=size, weight=self.bold)
        self.y -= 6
        self.line(MARGIN_X, PAGE_W - MARGIN_X, self.y, ACCENT, 1.0)
        self.y -= 12

    def paragraph(self, s: str, *, size: float = 10, color: str = INK, leading: float = 1.55) -> None:
        for line in wrap(s, size, PAGE_W - 2 * MARGIN_X):
            self.room(size * leading)
            self.y -= size * leading
            self.text(MARGIN_X, self.y, line, size=size, color=color)
        self.y -= size * 0.6

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, size: float = 8.5,
              empty: str = "", title: str = "") -> None:
        """Rows of cells (text, or (text, colour)); the header repeats on every page the table runs onto."""
        row_h = size * 2.0
        if any("\n" in str(c[0] if isinstance(c, tuple) else c) for r in rows for c in r):
            row_h = size * 3.4  # a value over its numerator / denominator
        total = sum(c.width for c in columns)
        scale = (PAGE_W - 2 * MARGIN_X) / total if total > PAGE_W - 2 * MARGIN_X else 1.0
        widths = [c.width * scale for c in columns]

        titles = [wrap(c.title, size, w - 8, self.bold)[:3] or [""] for c, w in zip(columns, widths)]
        head_h = size * (0.8 + 1.25 * max(len(t) for t in titles))

        def header() -> None:
            self.box(MARGIN_X, self.y - head_h, sum(widths), head_h, HEAD)
            self.y -= head_h
            x = MARGIN_X
            for lines, col, w in zip(titles, columns, widths):
                for i, line in enumerate(lines):
                    y = self.y + head_h - size * (1.3 + 1.25 * i)
                    tx, ha = {"right": (x + w - 4, "right"), "center": (x + w / 2, "center")}.get(col.align, (x + 4, "left"))
                    self.text(tx, y, fit(line, size, w - 8, self.bold), size=size, ha=ha, weight=self.bold)
                x += w

        self.room(head_h + row_h * 2)
        header()
        if not rows:
            self.y -= row_h
            self.text(MARGIN_X + 4, self.y + row_h * 0.32, empty, size=size, color=MUTED)
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y)
        for i, row in enumerate(rows):
            if self.y - row_h < MARGIN_BOTTOM:
                self.new_page()
                if title:
                    self.y -= size * 1.5
                    self.text(MARGIN_X, self.y, _("%(title)s (continued)") % {"title": title}, size=size + 1, color=MUTED)
                    self.y -= size * 0.8
                header()
            if i % 2:
                self.box(MARGIN_X, self.y - row_h, sum(widths), row_h, SHADE)
            self._row(row, columns, widths, size, row_h)
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y, RULE, 0.4)
        self.y -= 10

    def _row(self, cells: Sequence[Any], columns: Sequence[Column], widths: Sequence[float], size: float,
             row_h: float, weight: str = "normal") -> None:
        """One row; a cell's text after a line break is a second, smaller, muted line."""
        self.y -= row_h
        x = MARGIN_X
        for cell, col, w in zip(cells, columns, widths):
            s, colour = (cell if isinstance(cell, tuple) else (cell, INK))
            first, _sep, second = ("" if s is None else str(s)).partition("\n")
            lines = [(first, size, colour)] + ([(second, size * 0.85, MUTED)] if second else [])
            top = self.y + row_h / 2 + (size * 0.55 if second else -size * 0.35)
            for i, (text, sz, c) in enumerate(lines):
                y = top - i * size * 1.3
                text = fit(text, sz, w - 8, weight)
                if col.align == "right":
                    self.text(x + w - 4, y, text, size=sz, color=c, ha="right", weight=weight)
                elif col.align == "center":
                    self.text(x + w / 2, y, text, size=sz, color=c, ha="center", weight=weight)
                else:
                    self.text(x + 4, y, text, size=sz, color=c, weight=weight)
            x += w

    def chart(self, height: float, draw: Callable[[Any], None]) -> None:
        """An axes ``height`` points high across the text width, drawn by ``draw(ax)``."""
        self.room(height + 10)
        self.y -= height
        left, bottom = MARGIN_X + 36, self.y + 40
        ax = self.fig.add_axes(((left) / PAGE_W, bottom / PAGE_H, (PAGE_W - MARGIN_X - 36 - left) / PAGE_W,
                                (height - 56) / PAGE_H))
        draw(ax)
        self.y -= 8


# ------------------------------------------------------------------ the report


def _title_page(doc: Document, report: dict[str, Any], fallback_note: str | None) -> None:
    doc.new_page(furniture=False)
    doc.box(0, PAGE_H - 250, PAGE_W, 250, "#16467a")
    doc.text(MARGIN_X, PAGE_H - 120, report["company"], size=20, color="white", weight=doc.bold)
    doc.text(MARGIN_X, PAGE_H - 165, report_title(report["period"]), size=26, color="white", weight=doc.bold)
    doc.text(MARGIN_X, PAGE_H - 205, period_title(report["period"]), size=16, color="#dbe7f5")
    to = date.fromordinal(report["to"].toordinal() - 1)
    rows = [
        (_("Company"), report["company"]),
        (_("Period"), _("%(start)s to %(end)s (%(label)s)") % {"start": report["from"].isoformat(), "end": to.isoformat(),
                                                               "label": report["period"].label}),
        (_("Generated at"), _("%(when)s (Beijing time)") % {"when": _when(report["generated_at"])}),
        (_("Generated by"), _("%(name)s (%(role)s)") % {"name": report["generated_by"], "role": RoleChoice(report["role"]).label}
         if report["role"] else report["generated_by"]),
        (_("Figures"), _("daily rollups as of %(when)s") % {"when": _when(report["as_of"])} if report["as_of"]
         else _("counted live from the orders")),
    ]
    y = PAGE_H - 320
    for label, value in rows:
        doc.text(MARGIN_X, y, label, size=11, color=MUTED)
        doc.text(MARGIN_X + 110, y, value, size=11)
        doc.line(MARGIN_X, PAGE_W - MARGIN_X, y - 9, RULE, 0.5)
        y -= 32
    y -= 10
    contents = [_("1. Summary"), _("2. Key performance indicators"), _("3. Rankings"), _("4. Trend and category Pareto"),
                _("5. Overdue orders")]
    doc.text(MARGIN_X, y, _("Contents"), size=12, weight=doc.bold)
    for item in contents:
        y -= 20
        doc.text(MARGIN_X + 14, y, item, size=10.5, color=INK)
    if fallback_note:
        y -= 40
        for line in wrap(fallback_note, 10, PAGE_W - 2 * MARGIN_X):
            doc.text(MARGIN_X, y, line, size=10, color=WORSE)
            y -= 15
    doc.text(MARGIN_X, 60, _("Generated by GridDesk. Every figure is counted from the work orders behind it; "
                             "the dashboard links each one to its list."), size=8, color=MUTED)


def _kpi_section(doc: Document, report: dict[str, Any]) -> None:
    doc.heading(_("1. Summary"))
    doc.paragraph(summary(report), size=10.5)
    doc.heading(_("2. Key performance indicators"))
    columns = [Column(_("KPI"), 190), Column(_("This period"), 60, "right"), Column(_("Numerator / denominator"), 90, "right"),
               Column(_("Previous period"), 60, "right"), Column(_("Change against the previous period"), 95, "right")]
    rows = []
    for k in report["kpis"]:
        prev = k.get("previous") or {}
        change, colour = change_text(k["code"], prev)
        label = str(KPI_LABELS[k["code"]])
        if k["code"] == "complaints_per_10k":  # the others name their unit already
            label = _("%(label)s (%(unit)s)") % {"label": label, "unit": kpi_unit(k["code"])}
        rows.append([label, value_text(k["code"], k["value"]), _fraction(k), value_text(k["code"], prev.get("previous")),
                     (change, colour)])
    doc.table(columns, rows, size=9, empty=_("No data for this period."), title=_("2. Key performance indicators"))
    doc.paragraph(_("▲ / ▼: higher / lower than the previous period (%(prev)s); green is better, red is worse; rates "
                    "change in percentage points (pp).") % {"prev": report["period"].previous().label}, size=8.5, color=MUTED)
    doc.paragraph(_("Complaints per 10,000 customers = valid complaints received in the period ÷ customers registered "
                    "before its end × 10,000, counted for companies (their stations' customers), stations and customer "
                    "categories; a unit without customers shows —."), size=8.5, color=MUTED)


def _ranking_title(level: str) -> str:
    return {
        "company": _("Companies (city and county)"),
        "department": _("Departments"),
        "station": _("Power-supply stations"),
        "staff": _("Staff"),
        "customer_category": _("Customer categories"),
    }[level]


RANKING_ROWS = 40


def _rankings_section(doc: Document, report: dict[str, Any]) -> None:
    doc.new_page()
    doc.heading(_("3. Rankings"))
    doc.paragraph(_("Units are ranked by their average assessment score (1 = best); under each rate: numerator / "
                    "denominator."), size=9, color=MUTED)
    for n, (level, units) in enumerate(report["rankings"], start=1):
        codes = [c for c in RANKING_KPIS if c != "complaints_per_10k" or level in CUSTOMER_LEVELS]
        doc.room(130)
        doc.y -= 22
        doc.text(MARGIN_X, doc.y, f"3.{n} {_ranking_title(level)}", size=11.5, weight=doc.bold)  # the table's title
        doc.y -= 6
        width = (PAGE_W - 2 * MARGIN_X - 34 - 130) / len(codes)
        columns = [Column(_("Rank"), 34, "center"), Column(_("Unit"), 130)] + [
            Column(str(KPI_LABELS[c]), width, "right") for c in codes]
        rows = []
        shown = [u for u in units if any(k["value"] is not None for k in u["kpis"] if k["code"] in codes)]
        blank = [u["name"] for u in units if u not in shown]
        for u in shown[:RANKING_ROWS]:
            by = {k["code"]: k for k in u["kpis"]}
            score = by.get("avg_score", {})
            cells: list[Any] = [score.get("rank") or "—", u["name"]]
            for c in codes:
                k = by.get(c)
                if k is None or k["value"] is None:
                    cells.append("—")
                elif c == "avg_score":
                    cells.append(f"{k['value']:.1f}")
                else:
                    cells.append(f"{value_text(c, k['value'])}\n{num(k['numerator'])} / {num(k['denominator'])}")
            rows.append(cells)
        title = f"3.{n} {_ranking_title(level)}"
        doc.table(columns, rows, size=8, empty=_("No data for this period."), title=title)
        if len(shown) > RANKING_ROWS:
            doc.paragraph(_("The first %(n)d of %(total)d units are listed.") % {"n": RANKING_ROWS, "total": len(shown)},
                          size=8.5, color=MUTED)
        if blank:
            doc.paragraph(_("Complaints received but none assessed yet: %(units)s.") % {
                "units": pgettext("list separator", ", ").join(blank)}, size=8.5, color=MUTED)
        if level not in CUSTOMER_LEVELS:
            doc.paragraph(_("Complaints per 10,000 customers is counted for companies, stations and customer categories "
                            "only: departments and staff have no customers of their own."), size=8.5, color=MUTED)


def _charts_section(doc: Document, report: dict[str, Any]) -> None:
    doc.new_page()
    doc.heading(_("4. Trend and category Pareto"))
    trend = report["trend"]

    def draw_trend(ax: Any) -> None:
        xs = [t["period"] for t in trend]
        ys = [t["count"] for t in trend]
        ax.plot(range(len(xs)), ys, marker="o", color=ACCENT, linewidth=1.8)
        ax.fill_between(range(len(xs)), ys, color=ACCENT, alpha=0.08)
        for i, y in enumerate(ys):
            ax.annotate(str(y), (i, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7, color=INK)
        ax.set_xticks(range(len(xs)), xs, fontsize=6.5)
        ax.set_ylim(0, max(ys + [1]) * 1.25)
        ax.set_ylabel(_("Valid complaints"), fontsize=8)
        ax.set_title(_("Valid complaints per month (12 months to %(period)s)") % {"period": report["period"].label},
                     fontsize=10, loc="left")
        _style(ax)

    doc.chart(195, draw_trend)
    pareto = report["pareto"][:12]

    def draw_pareto(ax: Any) -> None:
        names = [fit(p["name"], 7, 44) for p in pareto]
        xs = range(len(pareto))
        ax.bar(xs, [p["count"] for p in pareto], color=[ACCENT if p["vital"] else "#9fb7d6" for p in pareto], width=0.6)
        for i, p in enumerate(pareto):
            ax.annotate(str(p["count"]), (i, p["count"]), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
        if len(pareto) > 6:
            ax.set_xticks(list(xs), names, fontsize=7, rotation=30, ha="right")
        else:
            ax.set_xticks(list(xs), names, fontsize=7.5)
        pad = max(0.0, (6 - len(pareto)) / 2)  # a few categories: bars of a normal width, centred
        ax.set_xlim(-0.6 - pad, len(pareto) - 0.4 + pad)
        ax.set_ylabel(_("Valid complaints"), fontsize=8)
        ax.set_ylim(0, max([p["count"] for p in pareto] + [1]) * 1.2)
        ax2 = ax.twinx()
        ax2.plot(list(xs), [p["cumulative"] for p in pareto], color=WORSE, marker="o", markersize=3, linewidth=1.4)
        ax2.axhline(80, color=MUTED, linestyle="--", linewidth=0.8)
        ax2.set_ylim(0, 105)
        ax2.set_ylabel(_("Cumulative %"), fontsize=8)
        ax2.tick_params(labelsize=7)
        ax.set_title(_("Category Pareto: dark bars make up the first 80%"), fontsize=10, loc="left")
        _style(ax)
        ax2.spines["top"].set_visible(False)

    if pareto:
        doc.chart(240, draw_pareto)
        columns = [Column(_("Category"), 200), Column(_("Count"), 70, "right"), Column(_("Share %"), 80, "right"),
                   Column(_("Cumulative %"), 80, "right")]
        rows: list[list[Any]] = [[p["name"], p["count"], f"{p['share']:.1f}", f"{p['cumulative']:.1f}"] for p in pareto]
        rest = report["pareto"][len(pareto):]
        if rest:  # the long tail in one row: the cumulative share ends at 100
            rows.append([(_("%(n)d more categories") % {"n": len(rest)}, MUTED), sum(p["count"] for p in rest),
                         f"{sum(p['share'] for p in rest):.1f}", f"{rest[-1]['cumulative']:.1f}"])
        doc.table(columns, rows, size=7.5, title=_("Category Pareto"))
    else:
        doc.paragraph(_("No valid complaints in this period."), color=MUTED)


def _style(ax: Any) -> None:
    ax.tick_params(labelsize=7, colors=INK)
    ax.grid(axis="y", color=RULE, linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _overdue_section(doc: Document, report: dict[str, Any]) -> None:
    doc.new_page()
    doc.heading(_("5. Overdue orders"))
    orders = report["overdue"]
    now = report["generated_at"]
    doc.paragraph(_("Orders still open past their deadline at %(when)s, earliest deadline first (at most %(n)d).") % {
        "when": _when(now), "n": OVERDUE_ROWS}, size=9, color=MUTED)
    columns = [Column(_("Number"), 92), Column(_("State"), 62), Column(_("Company"), 92), Column(_("Category"), 92),
               Column(_("Deadline"), 84), Column(_("Overdue by"), 73, "right")]
    rows = [
        [o.number, o.get_state_display(), o.company.name, o.category.name if o.category else "", _when(o.deadline_at),
         (_overdue_for(o.deadline_at, now), WORSE)]
        for o in orders
    ]
    doc.table(columns, rows, size=8, empty=_("No order is overdue."), title=_("5. Overdue orders"))


def monthly_report_pdf(report: dict[str, Any]) -> bytes:
    """The report of :func:`griddesk.assessment.selectors.monthly_report` as PDF bytes."""
    font = cjk_font()
    if font is None:
        log.warning("monthly report: no CJK font installed (%s); writing it in English", ", ".join(CJK_FONTS))
        with translation.override("en"):
            note = _("No Chinese font was found on the server (install fonts-wqy-microhei), so this report is in "
                     "English; names of units and categories may not be legible.")
            return _render(report, [LATIN_FONT], note)
    return _render(report, [font, LATIN_FONT], None)


def _render(report: dict[str, Any], fonts: list[str], fallback_note: str | None) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    # Type 3 fonts: the glyphs used, embedded as drawings, with a ToUnicode map
    # (text can be searched and copied). Type 42 (TrueType) would be smaller
    # files but parses the whole 5 MB CJK font to subset it: twice as slow.
    rc: dict[RcKeyType, Any] = {"font.family": "sans-serif", "font.sans-serif": fonts, "axes.unicode_minus": False, "pdf.fonttype": 3}
    with matplotlib.rc_context(rc), _quiet(fallback_note is not None):
        with PdfPages(buf, metadata={"Title": f"{report['company']} {report_title(report['period'])} {report['period'].label}",
                                     "Author": report["generated_by"], "Creator": "GridDesk"}) as pdf:
            doc = Document(pdf, f"{report['company']} · {report_title(report['period'])} · {period_title(report['period'])}",
                           bold="bold" if _has_bold(fonts[0]) else "normal")
            _title_page(doc, report, fallback_note)
            doc.new_page()
            _kpi_section(doc, report)
            _rankings_section(doc, report)
            _charts_section(doc, report)
            _overdue_section(doc, report)
            doc.close_page()
    return buf.getvalue()


def _has_bold(family: str) -> bool:
    from matplotlib import font_manager

    return any(f.name == family and (f.weight if isinstance(f.weight, int) else font_manager.weight_dict.get(f.weight, 400)) >= 600
               for f in font_manager.fontManager.ttflist)


@contextmanager
def _quiet(fallback: bool) -> Iterator[None]:
    """Without a CJK font every Chinese name would warn once per glyph: the
    fallback has been logged once already."""
    with warnings.catch_warnings():
        if fallback:
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield
