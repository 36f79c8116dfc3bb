"""Dates written the way news sites write them, per language.

Each page must let a careful reader recover the true publication instant, so every visible
date string is *generated* from the article's truth (``published``) rather than typed by hand:
a typo in a YAML byline could otherwise silently disagree with the expected answer.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hijridate import Gregorian

LOCALES_FILE = Path(__file__).with_name("locales.yaml")

#: Byline styles an article may ask for; the value says whether the style shows a time of day.
BYLINE_STYLES: dict[str, bool] = {
    "weekday_full": True,   # الجمعة 21 نونبر 2025 - 14:30
    "date_time": True,      # Publié le 21 févr. 2025 à 14h30 / 20 марта 2025 г., 18:20 ...
    "date_only": False,     # نشر في: 3 شباط 2025
    "relative": False,      # منذ 4 أسابيع (needs a machine-readable date beside it)
    "hijri": True,          # الجمعة 22 شعبان 1446 هـ الموافق 21 فبراير 2025 م - 14:30
}

HIJRI_MONTHS = ["محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
                "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة"]


@functools.lru_cache(maxsize=1)
def locale_table() -> dict[str, dict[str, Any]]:
    """All boilerplate words, read once; callers must not mutate the result."""
    return yaml.safe_load(LOCALES_FILE.read_text(encoding="utf-8"))


def words(lang: str) -> dict[str, Any]:
    return locale_table()[lang]


def month_name(lang: str, locale: str, month: int) -> str:
    table = words(lang)
    return table.get(f"months_{locale}", table["months"])[month - 1]


def weekday_name(lang: str, dt: datetime) -> str:
    return words(lang)["weekdays"][dt.weekday()]


def format_today(now: datetime, lang: str, locale: str) -> str:
    """The header's "today" widget (a date trap: it is the visit date, not the article's)."""
    return words(lang)["today"].format(
        weekday=weekday_name(lang, now), day=now.day,
        month=month_name(lang, locale, now.month), year=now.year)


def _en_clock(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'am' if dt.hour < 12 else 'pm'}"


def format_date_time(dt: datetime, lang: str, locale: str, author: str = "") -> str:
    """Date and time of day in a common local news-site form (``dt`` is already local)."""
    month = month_name(lang, locale, dt.month)
    hm = f"{dt.hour:02d}:{dt.minute:02d}"
    if lang == "ar":
        return f"{dt.day} {month} {dt.year} - {hm}"
    if lang == "fr":
        abbr = words("fr")["months_abbr"][dt.month - 1]
        return f"Publié le {dt.day} {abbr} {dt.year} à {dt.hour:02d}h{dt.minute:02d}"
    if lang == "it":
        return f"di {author or 'Redazione'} | {dt.day} {month.capitalize()} {dt.year} ore {hm}"
    if lang == "ru":
        return f"{dt.day} {month} {dt.year} г., {hm}"
    if lang == "kk":
        return f"{dt.year} жылғы {dt.day} {month} {hm}"
    if lang == "es":
        return f"Publicado el {dt.day} de {month} de {dt.year}, {hm}"
    return f"Published {month} {dt.day}, {dt.year}, {_en_clock(dt)}"


def format_date_only(dt: datetime, lang: str, locale: str) -> str:
    month = month_name(lang, locale, dt.month)
    if lang == "ar":
        return f"نشر في: {dt.day} {month} {dt.year}"
    if lang == "fr":
        return f"Publié le {dt.day} {month} {dt.year}"
    if lang == "kk":
        return f"{dt.year} жылғы {dt.day} {month}"
    if lang == "es":
        return f"{dt.day} de {month} de {dt.year}"
    if lang == "en":
        return f"{month} {dt.day}, {dt.year}"
    return f"{dt.day} {month} {dt.year}"


def format_short(dt: datetime, lang: str, locale: str) -> str:
    """Date as listed next to related links and comments (another trap for naive extractors)."""
    month = month_name(lang, locale, dt.month)
    if lang == "en":
        return f"{month} {dt.day}, {dt.year}"
    if lang == "kk":
        return f"{dt.year} жылғы {dt.day} {month}"
    if lang == "es":
        return f"{dt.day} de {month} de {dt.year}"
    return f"{dt.day} {month} {dt.year}"


def format_hijri(dt: datetime, lang: str, locale: str) -> str:
    h = Gregorian(dt.year, dt.month, dt.day).to_hijri()
    return (f"{weekday_name('ar', dt)} {h.day} {HIJRI_MONTHS[h.month - 1]} {h.year} هـ "
            f"الموافق {dt.day} {month_name('ar', locale, dt.month)} {dt.year} م - "
            f"{dt.hour:02d}:{dt.minute:02d}")


def _plural_ru(n: int, forms: list[str]) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _plural_ar(n: int, forms: list[str]) -> str:
    if n == 1:
        return forms[0]
    if n == 2:
        return forms[1]
    if 3 <= n <= 10:
        return f"{n} {forms[2]}"
    return f"{n} {forms[3]}"


def format_relative(delta: timedelta, lang: str) -> str:
    """"منذ 4 أسابيع", "il y a 3 mois": the age of a page at the moment it is served."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    for unit, size in (("year", 525600), ("month", 43200), ("week", 10080),
                       ("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= size:
            n = minutes // size
            break
    rel = words(lang)["relative"]
    forms = rel[unit]
    if lang == "ar":
        phrase = _plural_ar(n, forms)
    elif lang == "ru":
        phrase = f"{n} {_plural_ru(n, forms)}"
    else:
        phrase = f"{n} {forms[0] if n == 1 else forms[-1]}"
    return f"{rel.get('prefix', '')}{phrase}{rel.get('suffix', '')}"


def format_byline(style: str, dt: datetime, lang: str, locale: str, now: datetime,
                  author: str = "") -> str:
    if style == "weekday_full":
        month = month_name(lang, locale, dt.month)
        return f"{weekday_name(lang, dt)} {dt.day} {month} {dt.year} - {dt.hour:02d}:{dt.minute:02d}"
    if style == "date_time":
        return format_date_time(dt, lang, locale, author)
    if style == "date_only":
        return format_date_only(dt, lang, locale)
    if style == "relative":
        return format_relative(now - dt, lang)
    if style == "hijri":
        return format_hijri(dt, lang, locale)
    raise ValueError(f"unknown byline style {style!r}")


def format_updated(dt: datetime, lang: str, locale: str) -> str:
    """"Mis à jour le 22 février 2025 à 09:10": always carries a time so modified_at is exact."""
    return f"{words(lang)['updated']} {format_short(dt, lang, locale)} {dt.hour:02d}:{dt.minute:02d}"


def iso(dt: datetime, style: str) -> str:
    """Machine-readable date as sites emit it: with local offset, in UTC, naive local, or date only."""
    if style == "utc":
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive":
        return dt.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "date":
        return dt.strftime("%Y-%m-%d")
    return dt.isoformat(timespec="seconds")
