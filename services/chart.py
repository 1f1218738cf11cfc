"""The weekly report as one PNG: five panels, Chinese labels in Noto Sans CJK (installed
with the package, so no system font is needed), rendered without a display.

The report's figures travel inside the PNG as a text chunk (`interview-bot:report`), so
whoever gets the picture can also read the numbers it shows.
"""

from __future__ import annotations

import io
import json
import threading
from functools import cache
from typing import Any

from flows.card_fields import stage_label
from flows.quality import STAGES
from services.reports import GRADES, PRIORITIES

DATA_KEY = "interview-bot:report"
Reps = list[dict[str, Any]]
CJK_FAMILY = "Noto Sans CJK SC"
_LOCK = threading.Lock()  # matplotlib's font cache is not safe across threads

TITLES = {
    "interviews": {"zh": "本周完成的访谈（按销售）", "en": "Interviews completed, by rep"},
    "coverage": {"zh": "复盘的 SPIN 覆盖率（按销售）", "en": "SPIN coverage of debriefs, by rep"},
    "grades": {"zh": "客户等级与优先级", "en": "Customers by grade and priority"},
    "overdue": {"zh": "逾期回访（按销售）", "en": "Overdue revisits, by rep"},
    "least": {"zh": "资料最不完整的客户", "en": "Least complete records"},
    "debriefs": {"zh": "复盘", "en": "Debriefs"},
    "questionnaires": {"zh": "客户问卷", "en": "Customer questionnaires"},
    "high": {"zh": "高", "en": "High"}, "medium": {"zh": "中", "en": "Medium"},
    "low": {"zh": "低", "en": "Low"}, "-": {"zh": "未定", "en": "Not set"},
    "percent": {"zh": "完整度 %", "en": "complete %"},
    "none": {"zh": "暂无数据", "en": "No data yet"},
    "totals": {"zh": "本周概览", "en": "At a glance"},
    "customers": {"zh": "客户", "en": "Customers"},
    "overdue_total": {"zh": "逾期回访", "en": "Overdue revisits"},
    "conflicts": {"zh": "待核实的不一致", "en": "Open conflicts"},
    "title": {"zh": "团队周报 {start} 至 {end}", "en": "Team report {start} to {end}"},
}


def _t(key: str, lang: str) -> str:
    texts = TITLES[key]
    return texts.get(lang) or texts["en"]


@cache
def _register_font() -> str:
    """Load matplotlib (headless) and the bundled CJK font, once, on first use: importing
    this module stays cheap for processes that never draw."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory only
    import noto_cjk_sans_otc
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    return CJK_FAMILY


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """What the chart draws: a report's figures (`Report.data()`) with only the reps that
    fit on it (the rest counted in `reps_total`), so a big team's chart stays small."""
    if "reps_total" in report:
        return report
    return {**report, "reps": busiest(report["reps"]), "reps_total": len(report["reps"])}


def render_png(report: dict[str, Any], lang: str) -> bytes:
    """The chart of a report's figures (`Report.data()` or `figures()`), as PNG bytes.
    CPU-bound (a few hundred ms): call it in a thread."""
    return _render(report, lang, "png")


def render_svg(report: dict[str, Any], lang: str) -> bytes:
    """The same chart as SVG, for the dashboard: text is drawn as glyph outlines from the
    bundled CJK font, so Chinese shows right in any browser, whatever fonts it has."""
    return _render(report, lang, "svg")


def _render(report: dict[str, Any], lang: str, fmt: str) -> bytes:
    report = figures(report)
    with _LOCK:
        family = _register_font()
        import matplotlib

        with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"],
                                    "axes.unicode_minus": False, "svg.fonttype": "path"}):
            return _draw(report, lang, fmt)


def _draw(report: dict[str, Any], lang: str, fmt: str = "png") -> bytes:
    start, end = report["period"]
    title = _t("title", lang).format(start=start, end=end)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 11), dpi=100, layout="constrained")
    figure.suptitle(title, fontsize=16)
    grid = figure.subplots(3, 2)
    reps = report["reps"]
    names = [r["name"] for r in reps]
    _interviews(grid[0][0], reps, names, lang)
    _coverage(grid[0][1], reps, names, lang)
    _grades(grid[1][0], report["grades"], lang)
    _overdue(grid[1][1], reps, names, lang)
    _least(grid[2][0], report["least_complete"], lang)
    _totals(grid[2][1], report, lang)
    buffer = io.BytesIO()
    if fmt == "svg":
        figure.savefig(buffer, format="svg", metadata={"Title": title})
    else:
        figure.savefig(buffer, format="png", metadata={
            "Title": title, DATA_KEY: json.dumps(report, ensure_ascii=False)})
    return buffer.getvalue()


MAX_REPS = 15  # more bars than this are unreadable (and slow to draw)


def busiest(reps: Reps) -> Reps:
    """The reps with the most to show, in the report's order."""
    if len(reps) <= MAX_REPS:
        return reps
    weight = {id(r): r["debriefs"] + r["questionnaires"] + r["overdue"] for r in reps}
    chosen = {id(r) for r in sorted(reps, key=lambda r: -weight[id(r)])[:MAX_REPS]}
    return [r for r in reps if id(r) in chosen]


def _empty(axes: Any, lang: str) -> None:
    axes.text(0.5, 0.5, _t("none", lang), ha="center", va="center", transform=axes.transAxes,
              color="grey")
    axes.set_xticks([])
    axes.set_yticks([])


def _interviews(axes: Any, reps: Reps, names: list[str], lang: str) -> None:
    axes.set_title(_t("interviews", lang))
    if not names:
        _empty(axes, lang)
        return
    debriefs = [r["debriefs"] for r in reps]
    questionnaires = [r["questionnaires"] for r in reps]
    xs = range(len(names))  # positions, not names: two reps may share a name
    axes.bar(xs, debriefs, label=_t("debriefs", lang), color="#3b6ea5")
    axes.bar(xs, questionnaires, bottom=debriefs, label=_t("questionnaires", lang),
             color="#9cc3e6")
    axes.set_xticks(xs, names, rotation=30)
    axes.set_ylim(0, max(max(d + q for d, q in zip(debriefs, questionnaires, strict=True)), 1)
                  * 1.25)  # room for the legend; none done: 0 to 1
    axes.legend(loc="upper right")
    axes.yaxis.get_major_locator().set_params(integer=True)


def _coverage(axes: Any, reps: Reps, names: list[str], lang: str) -> None:
    axes.set_title(_t("coverage", lang))
    if not names:
        _empty(axes, lang)
        return
    width = 0.8 / len(STAGES)
    colours = ("#4c956c", "#f4a259", "#bc4b51", "#3d5a80")
    for index, stage in enumerate(STAGES):
        xs = [i + (index - 1.5) * width for i in range(len(names))]
        axes.bar(xs, [round(r["coverage"][stage] * 100) for r in reps], width,
                 label=stage_label(stage, lang), color=colours[index])
    axes.set_xticks(range(len(names)), names, rotation=30)
    # the legend in a band above 100 %, in one row: it never covers a bar
    axes.set_ylim(0, 135)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("%")
    axes.legend(loc="upper center", ncols=len(STAGES), fontsize="small")


def _grades(axes: Any, grades: dict[str, dict[str, int]], lang: str) -> None:
    axes.set_title(_t("grades", lang))
    bottom = [0] * len(GRADES)
    colours = {"high": "#bc4b51", "medium": "#f4a259", "low": "#8cb369", "-": "#c8c8c8"}
    for priority in PRIORITIES:
        counts = [grades[g][priority] for g in GRADES]
        axes.bar(GRADES, counts, bottom=bottom, label=_t(priority, lang),
                 color=colours[priority])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylim(0, max(max(bottom), 1) * 1.35)  # room for the legend above the bars
    axes.legend(loc="upper center", ncols=4)
    axes.yaxis.get_major_locator().set_params(integer=True)


def _overdue(axes: Any, reps: Reps, names: list[str], lang: str) -> None:
    axes.set_title(_t("overdue", lang))
    if not names:
        _empty(axes, lang)
        return
    xs = range(len(names))
    overdue = [r["overdue"] for r in reps]
    axes.bar(xs, overdue, color="#bc4b51")
    axes.set_xticks(xs, names, rotation=30)
    axes.set_ylim(0, max(max(overdue), 1) * 1.1)  # none overdue: 0 to 1, not ±0.04
    axes.yaxis.get_major_locator().set_params(integer=True)


def _least(axes: Any, least: list[dict[str, Any]], lang: str) -> None:
    axes.set_title(_t("least", lang))
    if not least:
        _empty(axes, lang)
        return
    rows = list(reversed(least))
    ys = range(len(rows))
    axes.barh(ys, [r["percent"] for r in rows], color="#7a6c5d")
    axes.set_yticks(ys, [_short(r["customer"]) for r in rows])
    axes.set_xlim(0, 100)
    axes.set_xlabel(_t("percent", lang))


def _totals(axes: Any, report: dict[str, Any], lang: str) -> None:
    axes.set_title(_t("totals", lang))
    axes.axis("off")
    reps = report["reps"]
    figures = [
        (_t("customers", lang), report["customers"]),
        (_t("debriefs", lang), sum(r["debriefs"] for r in reps)),
        (_t("questionnaires", lang), sum(r["questionnaires"] for r in reps)),
        (_t("overdue_total", lang), sum(r["overdue"] for r in reps)),
        (_t("conflicts", lang), len(report["open_conflicts"])),
    ]
    for row, (label, value) in enumerate(figures):
        y = 0.85 - row * 0.18
        axes.text(0.05, y, label, fontsize=14, transform=axes.transAxes, va="center")
        axes.text(0.85, y, str(value), fontsize=20, transform=axes.transAxes, va="center",
                  ha="right")


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
