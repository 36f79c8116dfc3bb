"""The mentions-over-time chart: stacked bars per day and language, as plain SVG markup.

Built server-side from the index's day histogram, so the page needs no chart library and no
script. Only numbers, dates and language codes (checked against a pattern) reach the markup.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 150
LEFT, BOTTOM, TOP = 34, 20, 8
MAX_DAYS = 366  # a longer span shows its latest year (the caption says so)
# One colour per language, the same on every page (legend and bars); others share the last one.
COLOURS = {"ar": "#d9480f", "fr": "#1c7ed6", "en": "#2b8a3e", "ru": "#862e9c", "kk": "#0c8599", "it": "#e67700",
           "es": "#c2255c"}
OTHER = "#868e96"
_LANG = re.compile(r"^[a-z?]{1,8}$")


def colour(lang: str) -> str:
    return COLOURS.get(lang, OTHER)


def day_series(days: dict[str, dict[str, int]]) -> list[tuple[date, dict[str, int]]]:
    """Every day from the first to the last with mentions, empty days included (at most MAX_DAYS, the latest)."""
    if not days:
        return []
    parsed = {date.fromisoformat(d): v for d, v in days.items()}
    first, last = min(parsed), max(parsed)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [(first + timedelta(days=i), parsed.get(first + timedelta(days=i), {}))
            for i in range((last - first).days + 1)]


def mentions_svg(days: dict[str, dict[str, int]]) -> Markup:
    series = day_series(days)
    if not series:
        return Markup("")
    peak = max(sum(v.values()) for _, v in series) or 1
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_w / len(series)
    bar = max(2.5, step * 0.8)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'aria-label="Mentions per day and language">']
    for frac in (0.5, 1.0):  # gridlines with their counts
        y = TOP + plot_h * (1 - frac)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{peak * frac:g}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - 4}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" class="base"/>')
    for i, (day, per_lang) in enumerate(series):
        x = LEFT + i * step + (step - bar) / 2
        y = TOP + plot_h
        for lang in sorted(per_lang):
            n = per_lang[lang]
            if not _LANG.match(lang) or n <= 0:
                continue
            h = plot_h * n / peak
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour(lang)}">'
                       f'<title>{day.isoformat()} · {escape(lang)}: {n}</title></rect>')
    labels = {0, len(series) - 1} | ({len(series) // 2} if len(series) > 4 else set())
    for i in sorted(labels):
        x = LEFT + i * step + step / 2
        anchor = "start" if i == 0 and len(series) > 1 else "end" if i == len(series) - 1 and i else "middle"
        out.append(f'<text x="{x:.1f}" y="{HEIGHT - 5}" class="axis" text-anchor="{anchor}">'
                   f'{series[i][0].isoformat()}</text>')
    out.append("</svg>")
    return Markup("".join(out))
