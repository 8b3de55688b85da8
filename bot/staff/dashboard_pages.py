"""The dashboard: how the shop is doing, at a glance.

Orders and revenue per day (SVG charts drawn here with pygal, no JavaScript, each with a
table for screen readers), conversations that became orders, where unfinished orders
stopped, the answers the bot refused most, and customer messages per order. The figures
come from bot.store.analytics; conversation counts from the conversations index
(brought up to date on each load, as the conversation pages do).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pygal
from aiohttp import web
from markupsafe import Markup, escape
from pygal.style import Style

from bot.store import analytics
from bot.core.catalog import Catalog, CatalogFile
from bot.core.pricing import money
from bot.staff.conversations.index import refresh
from bot.staff.kit import StaffContext, context_of, in_thread, render

logger = logging.getLogger("bespoke.staff.dashboard")

CHART_STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1d2430", foreground_strong="#1d2430",
    foreground_subtle="#d8dde5", opacity="0.9", opacity_hover="1", colors=("#1f5fbf", "#1b7f3b", "#8a5a00", "#b3261e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=13, major_label_font_size=13, value_font_size=12, legend_font_size=13,
)
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
# pygal writes its configuration into a <script> even with js=[]: the page has no JavaScript.
_UNWANTED = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.DOTALL)


@dataclass
class Chart:
    id: str
    heading: str
    svg: Markup
    columns: List[str]  # the table alternative: its header and rows
    rows: List[List[str]]


def svg_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[Tuple[str, Sequence[float]]], line: bool = False, counts: bool = False) -> Markup:
    """An inline SVG chart without scripts or external resources, with <title> and <desc>.
    `counts`: whole numbers only on the value axis (pygal would label 0.2, 0.4 ... as 0, 0)."""
    kind = pygal.Line if line else pygal.Bar
    every = max(1, len(labels) // 8)
    chart = kind(
        js=[], disable_xml_declaration=True, style=CHART_STYLE, width=800, height=300, margin=10,
        show_legend=len(series) > 1, legend_at_bottom=True, show_minor_x_labels=False,
        x_labels_major_every=every, truncate_label=-1, print_values=False, include_x_axis=True,
        show_dots=len(labels) <= 31, stroke_style={"width": 2}, min_scale=2, max_scale=6,
    )
    chart.x_labels = list(labels)
    if counts:
        chart.y_labels = count_ticks(max((max(values, default=0) for _, values in series), default=0))
    chart.value_formatter = lambda value: f"{value:,.0f}"  # 300,000 rather than 300000
    for name, values in series:
        chart.add(name, list(values))
    svg = _UNWANTED.sub("", chart.render(is_unicode=True))
    if "<script" in svg:
        raise ValueError("the chart still holds a script")
    labelled = (f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
                f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>')
    return Markup(_SVG_OPEN.sub(lambda match: f"<svg{match.group(1)}{labelled}", svg, count=1))


def count_ticks(top: float) -> List[int]:
    """0 up to at least `top` in at most 6 ticks, steps of 1, 2 or 5 times a power of ten."""
    step, factors = 1, itertools.cycle((2, 2.5, 2))  # 1, 2, 5, 10, 20, 50 ...
    while top / step > 5:
        step = int(step * next(factors))
    return list(range(0, max(1, math.ceil(top / step)) * step + 1, step))


def option_namer(catalog: Optional[Catalog]) -> Callable[[str, str], str]:
    """(product id, option id) -> "Custom PC: Memory", from the catalog, ids as a fallback."""

    def name(product_id: str, option_id: str) -> str:
        product = catalog.find_product(product_id) if catalog else None
        product_name = product.name if product else product_id
        if option_id == analytics.SUMMARY_QUESTION:
            return f"{product_name}: the priced summary (shall I place it?)"
        if option_id in analytics.CONTACT_QUESTIONS:
            return f"{product_name}: contact details ({analytics.CONTACT_QUESTIONS[option_id]})"
        if not option_id:
            return f"{product_name}: before the first question"
        option = next((o for o in product.options if o.id == option_id), None) if product else None
        return f"{product_name}: {option.name if option else option_id}"

    return name


def load_catalog_for_names(catalog_file: CatalogFile) -> Optional[Catalog]:
    try:
        return catalog_file.catalog()
    except Exception:  # the page still works, with ids in place of names
        logger.exception("dashboard: could not read the catalog; showing option ids")
        return None


def day_label(day) -> str:
    return f"{day:%d %b}"


def build_charts(figures: analytics.Dashboard) -> List[Chart]:
    days = figures.day_list
    labels = [day_label(day) for day in days]
    period = f"the last {figures.days} days ({days[0]:%d %b %Y} to {days[-1]:%d %b %Y}, UTC)"
    counts = [figures.orders_per_day.get(day, 0) for day in days]
    busiest = max(range(len(days)), key=lambda index: counts[index]) if any(counts) else None
    description = f"Orders placed per day over {period}: {figures.orders_total} in total"
    if busiest is not None:
        description += f", most on {days[busiest]:%d %b} ({counts[busiest]})"
    charts = [Chart(
        "orders-chart", "Orders per day",
        svg_chart("orders-chart", "Orders per day", description + ".", labels, [("Orders", counts)], counts=True),
        ["Day", "Orders"], [[f"{day:%a %d %b %Y}", str(count)] for day, count in zip(days, counts, strict=True)],
    )]
    for currency in sorted(figures.revenue_per_day):
        per_day = figures.revenue_per_day[currency]
        amounts = [per_day.get(day, Decimal("0.00")) for day in days]
        chart_id = f"revenue-chart-{currency.lower()}"
        total = money(figures.revenue_total[currency], currency)
        charts.append(Chart(
            chart_id, f"Revenue per day ({currency})",
            svg_chart(chart_id, f"Revenue per day in {currency}",
                      f"Revenue per day in {currency} over {period}: {total} in total, "
                      "without cancelled orders and quote requests.",
                      labels, [(currency, [float(amount) for amount in amounts])], line=True),
            ["Day", f"Revenue ({currency})"],
            [[f"{day:%a %d %b %Y}", money(amount, currency)] for day, amount in zip(days, amounts, strict=True)],
        ))
    return charts


def percent(part: int, whole: int) -> Optional[str]:
    if not whole:
        return None
    return f"{Decimal(part) * 100 / Decimal(whole):.1f} %"


def page_values(figures: analytics.Dashboard) -> Dict[str, Any]:
    return {
        "figures": figures,
        "charts": build_charts(figures),
        "revenue": [money(amount, currency) for currency, amount in sorted(figures.revenue_total.items())],
        "conversion": percent(figures.converted, figures.conversations),
        "gave_up_share": percent(figures.gave_up, figures.drafts_started),
        "give_up_idle_minutes": int(analytics.GIVE_UP_AFTER.total_seconds() // 60),
    }


def compute(context: StaffContext, days: int) -> Dict[str, Any]:
    figures = analytics.dashboard(context.store, days, option_name=option_namer(load_catalog_for_names(context.catalog)))
    return page_values(figures)


async def dashboard(request: web.Request) -> web.Response:
    context = context_of(request)
    error = ""
    raw = request.query.get("days", str(analytics.DEFAULT_PERIOD)).strip()
    days = int(raw) if raw.isdigit() and int(raw) in analytics.PERIODS else None
    if days is None:
        error = (f"There is no period \"{raw[:20]}\"; choose 7, 30 or 90 days. "
                 f"Showing the last {analytics.DEFAULT_PERIOD} days.")
        days = analytics.DEFAULT_PERIOD
    # The conversation figures come from the conversations index.
    notice = await refresh(context.store, context.tracker_database_url)
    values = await in_thread(compute, context, days)
    return render(request, "dashboard.html", status=400 if error else 200, days=days, periods=analytics.PERIODS,
                  error=error, notice=notice, **values)
