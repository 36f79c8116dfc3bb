"""Turn one written date ("نشر في: 21 شباط 2025 - 05:42 م", "hier à 18h05") into a UTC value.

Why not dateparser alone: it knows no Levantine month names, Moroccan ones only under the
``ar-MA`` locale, chokes on byline lead-ins, swaps ISO day/month for Arabic (dateparser #1199),
fills midnight when no time was written, and runs at a few hundred parses per second. So the
text is folded (digits, hamza, case), month names become language-free marks, and a small set
of date shapes is read directly; dateparser is the fallback for whatever those shapes miss.

A value without a time of day stays a calendar date: it is never moved across midnight by a
timezone conversion. Times written without an offset are read in the source's zone through
zoneinfo, so historical offsets (Morocco's Ramadan UTC+0) come out right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.instants import iso_utc  # noqa: F401 (re-exported: how the store writes instants)
from pipelines.languages import ANALYSED

from . import lexicon, tz_filter
from .grammar import (
    HIJRI_MONTH, HIJRI_NAMES, MERIDIEM, MONTH_MARK, ZONE_NAMES, Grammar, fold, grammar_for,
    mark_months,
)

UTC = timezone.utc
HIJRI_MARK = "\ue001"




@dataclass(frozen=True)
class ParsedDate:
    """A parsed date: an aware UTC datetime when a time of day was written, else a date."""

    value: datetime | date  # aware UTC datetime when has_time, else a calendar date (never tz-shifted)
    has_time: bool
    # The UTC offset (seconds) the time was written in: the page's own, else the source's zone
    # on that day. None when unknown (relative dates); equal values compare equal whatever it is.
    offset: int | None = field(default=None, compare=False)
    # Read against the fetch clock ("3 hours ago", "yesterday at 18:05"), not written out.
    relative: bool = field(default=False, compare=False)

    def iso(self) -> str:
        """UTC instant ("2025-02-21T17:42:00Z") or the calendar date."""
        if self.has_time:
            return self.value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.value.isoformat()

    def iso_local(self) -> str:
        """The same instant with the offset the page wrote it in ("2025-02-21T18:42:00+01:00";
        "Z" when that offset is zero or unknown), or the calendar date."""
        if not self.has_time or not self.offset:
            return self.iso()
        local = self.value.astimezone(timezone(timedelta(seconds=self.offset)))
        return local.strftime("%Y-%m-%dT%H:%M:%S") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]

    @classmethod
    def at(cls, local: datetime) -> "ParsedDate":
        """An aware local time → the UTC instant, remembering its offset."""
        offset = local.utcoffset()
        return cls(local.astimezone(UTC), True, int(offset.total_seconds()) if offset is not None else None)


# --- shapes ---------------------------------------------------------------------------------
_M = rf"{MONTH_MARK}(?P<{{}}>\d\d)\.?"
_ORD = r"(?:er|re|eme|ème|st|nd|rd|th|°|o|-?го|-?е)?"
_SEP = r"[\s,./\-]*"


def _m(name: str) -> str:
    return _M.format(name)


ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?"
)
DATE_WITH_YEAR = re.compile(
    "|".join([
        r"(?P<ymd>(?<![\d.])(?P<a_y>(?:19|20)\d\d)[-/.](?P<a_m>\d{1,2})[-/.](?P<a_d>\d{1,2})(?!\d))",
        rf"(?P<ydm>(?<!\d)(?P<b_y>(?:19|20)\d\d)\s*(?:жылғы|жылы|ж\.)?\s*,?\s*(?P<b_d>\d{{1,2}}){_ORD}\s*{_m('b_m')})",
        rf"(?P<ymd_kk>(?<!\d)(?P<c_y>(?:19|20)\d\d)\s*(?:жылғы|жылы|ж\.)\s*{_m('c_m')}\s*(?P<c_d>\d{{1,2}})(?!\d))",
        rf"(?P<dmy>(?<![\d:])(?P<d_d>\d{{1,2}}){_ORD}\s*(?:de\s+|of\s+)?{_SEP}{_m('d_m')}{_SEP}(?:de\s+|del\s+)?(?P<d_y>\d{{4}})(?![\d:]))",
        rf"(?P<mdy>{_m('e_m')}{_SEP}(?P<e_d>\d{{1,2}}){_ORD}{_SEP}(?P<e_y>\d{{4}})(?![\d:]))",
        r"(?P<num>(?<![\d:./-])(?P<f_a>\d{1,2})(?P<f_s>[/.\-])(?P<f_b>\d{1,2})(?P=f_s)(?P<f_y>\d{4}|\d{2})(?![\d:]|\.\d))",
    ])
)
DATE_NO_YEAR = re.compile(
    "|".join([
        rf"(?P<dm>(?<![\d:])(?P<g_d>\d{{1,2}}){_ORD}\s*(?:de\s+)?{_m('g_m')})",
        rf"(?P<md>{_m('h_m')}\s*(?P<h_d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:]))",
    ])
)
_MERIDIEM_ALT = "|".join(re.escape(w) for w in sorted(MERIDIEM, key=len, reverse=True))
TIME = re.compile(
    rf"""(?<![\d:/])(?<!\d\.)
    (?:(?P<h>\d{{1,2}})\s*(?::|h|\.)\s*(?P<mi>\d{{2}})(?::(?P<s>\d{{2}})(?:[.,]\d+)?)?(?!\d)
      |(?P<hh>\d{{1,2}})\s*h(?!\w)
      |(?P<ha>\d{{1,2}})(?=\s*(?:am|pm|a\.m|p\.m)))
    (?:\s*(?P<mer>{_MERIDIEM_ALT})(?!\w))?""",
    re.X,
)
_ZONE_ALT = "|".join(re.escape(z) for z in sorted(ZONE_NAMES, key=len, reverse=True))
_ZONE_ANY_ALT = "|".join(
    re.escape(z) for z in sorted(ZONE_NAMES, key=len, reverse=True)
    if z not in lexicon.ZONES_AFTER_TIME_ONLY
)
_OFFSET = r"(?:(?:utc|gmt)\s*(?P<gs>[+-])\s*(?P<gh>\d{1,2})(?::?(?P<gm>\d{2}))?|(?P<os>[+-])(?P<oh>\d{2}):?(?P<om>\d{2}))"
ZONE_AFTER_TIME = re.compile(rf"\s*\(?\s*(?:{_OFFSET}|(?P<name>{_ZONE_ALT}))(?!\w)")
ZONE_ANYWHERE = re.compile(
    rf"(?<!\w)(?:(?:utc|gmt)\s*(?P<gs>[+-])\s*(?P<gh>\d{{1,2}})(?::?(?P<gm>\d{{2}}))?|(?P<name>{_ZONE_ANY_ALT}))(?!\w)"
)
_GREGORIAN_SUFFIX = re.compile(r"(\d{4})\s*م(?!\w)")
_HIJRI_NAMED = re.compile(
    rf"(?<![\d:])(\d{{1,2}})\s*{HIJRI_MONTH.pattern}\s*,?\s*(1[34]\d\d)\s*(?:ه(?!\w)|هجري\w*)?"
)
_HIJRI_NUMERIC = re.compile(
    r"(?<!\d)(?:(1[34]\d\d)[/-](\d{1,2})[/-](\d{1,2})|(\d{1,2})[/-](\d{1,2})[/-](1[34]\d\d))\s*ه(?!\w)"
)
_HAS_DIGIT = re.compile(r"\d")
_YEAR_ONLY = re.compile(r"\(?(?:19|20)\d\d\)?\.?")


# --- entry point ----------------------------------------------------------------------------
def parse_date(
    text: str,
    lang: str | None,
    tz: str = "UTC",
    base: datetime | None = None,
    locale: str | None = None,
) -> ParsedDate | None:
    """Parse one written date; None when the text holds no date.

    ``tz`` applies to times written without an offset; ``base`` is the fetch time relative
    dates count from (default: now); ``locale`` (e.g. ``en-US``) decides numeric D/M order.
    Raises ValueError for an unknown timezone.
    """
    return parse(text, lang, tz, base, locale, fallback=True)


def parse(
    text: str,
    lang: str | None,
    tz: str = "UTC",
    base: datetime | None = None,
    locale: str | None = None,
    *,
    fallback: bool = True,
) -> ParsedDate | None:
    """parse_date, with dateparser as the last resort only when ``fallback`` (page scans of
    byline-ish text that is mostly not a date turn it off: it is the slow path)."""
    zone = _zone(tz)
    base = (base or datetime.now(UTC))
    base = base.replace(tzinfo=UTC) if base.tzinfo is None else base.astimezone(UTC)
    lang, locale = _split_lang(lang, locale)
    s = fold(text or "")
    if not s or _YEAR_ONLY.fullmatch(s):  # "2015" (a citation's datePublished) names no day
        return None
    s = _COMPACT_ISO.sub(r"\1-\2-\3t\4:\5:\6", s)
    s = _CJK_DATE.sub(lambda m: f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} ", s)
    iso = ISO.fullmatch(s.strip())
    if iso:
        return _from_iso(iso, zone)
    ctx = _Context(zone, base, lang, locale, grammar_for(_langs(lang, locale)))
    s = _GREGORIAN_SUFFIX.sub(r"\1", s)
    s, hijri = _take_hijri(s)
    s = mark_months(s, ctx.grammar)
    return (
        _absolute(s, ctx, DATE_WITH_YEAR)
        or (_with_time(hijri, s, s.index(HIJRI_MARK), s.index(HIJRI_MARK) + 1, ctx) if hijri else None)
        or _relative(s, ctx)
        or _day_word(s, ctx)
        or _absolute(s, ctx, DATE_NO_YEAR)
        or (_dateparser(s, ctx) if fallback and _HAS_DIGIT.search(s) else None)
    )


@dataclass(frozen=True)
class _Context:
    zone: ZoneInfo
    base: datetime  # aware UTC
    lang: str | None
    locale: str | None
    grammar: Grammar

    @property
    def today(self) -> date:
        return self.base.astimezone(self.zone).date()


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {tz!r}") from exc


def _split_lang(lang: str | None, locale: str | None) -> tuple[str | None, str | None]:
    if lang and ("-" in lang or "_" in lang):
        locale = locale or lang.replace("_", "-")
        lang = lang.replace("_", "-").split("-")[0]
    if not lang and locale:
        lang = locale.split("-")[0]
    return (lang.lower() if lang else None), locale


# "20200924T15:04:34Z", "20200924T150434+0200" (ISO 8601 basic format)
_COMPACT_ISO = re.compile(r"(?<!\d)((?:19|20)\d\d)(0[1-9]|1[0-2])([012]\d|3[01])t([01]\d|2[0-3]):?([0-5]\d):?([0-5]\d)")
# "2020年9月24日", "2020년 9월 24일" (Japanese, Chinese, Korean bylines)
_CJK_DATE = re.compile(r"((?:19|20)\d\d)\s*[年년./]\s*(\d{1,2})\s*[月월./]\s*(\d{1,2})\s*[日일]?")


def _langs(lang: str | None, locale: str | None = None) -> tuple[str, ...]:
    lang = lexicon.MONTH_LANGUAGE_ALIASES.get(lang or "", lang)
    if lang is None:
        return tuple(lexicon.MONTHS)
    langs = (lang, "en") if lang in lexicon.MONTHS and lang != "en" else ("en",)
    if lang == "ru" and (locale or "").upper().endswith("-KZ"):
        langs += ("kk",)  # Russian-language outlets in Kazakhstan also write Kazakh month names
    return langs


# --- pieces ---------------------------------------------------------------------------------
def _from_iso(m: re.Match[str], zone: ZoneInfo) -> ParsedDate | None:
    y, mo, d, hh, mi, ss, off = m.groups()
    try:
        day = date(int(y), int(mo), int(d))
        if hh is None:
            return ParsedDate(day, False)
        clock = time(int(hh), int(mi), int(ss or 0))
    except ValueError:
        return None
    tzinfo = _fixed_offset(off) if off else zone
    return ParsedDate.at(datetime.combine(day, clock, tzinfo))


def _fixed_offset(off: str) -> timezone:
    if off == "z":
        return UTC
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))


def _take_hijri(s: str) -> tuple[str, date | None]:
    """Replace a Hijri date by HIJRI_MARK and return its Gregorian day (Umm al-Qura).

    A Gregorian date written beside it is preferred later (sighting-based calendars can be a
    day off the tables), so the Hijri value is only the second choice.
    """
    from hijridate import Hijri  # imported lazily: most texts carry no Hijri date

    m = _HIJRI_NAMED.search(s)
    if m:
        d, name, y = int(m.group(1)), m.group(2), int(m.group(3))
        month = HIJRI_NAMES[re.sub(r"\s+", " ", name)]
    else:
        m = _HIJRI_NUMERIC.search(s)
        if not m:
            return s, None
        g = m.groups()
        y, month, d = (int(g[0]), int(g[1]), int(g[2])) if g[0] else (int(g[5]), int(g[4]), int(g[3]))
    try:
        greg = Hijri(y, month, d).to_gregorian()
    except (ValueError, OverflowError):
        return s, None
    return s[: m.start()] + f" {HIJRI_MARK} " + s[m.end():], date(greg.year, greg.month, greg.day)


def _absolute(s: str, ctx: _Context, pattern: re.Pattern[str]) -> ParsedDate | None:
    for m in pattern.finditer(s):
        day = _date_from(m, ctx)
        if day is not None:
            return _with_time(day, s, m.start(), m.end(), ctx)
    return None


def _date_from(m: re.Match[str], ctx: _Context) -> date | None:
    g = m.groupdict()
    try:
        if "ymd" not in g:  # DATE_NO_YEAR: the most recent such day not after tomorrow
            month, d = (int(g["g_m"]), int(g["g_d"])) if g["dm"] else (int(g["h_m"]), int(g["h_d"]))
            today = ctx.today
            day = date(today.year, month, d)
            return day if day <= today + timedelta(days=1) else date(today.year - 1, month, d)
        if g["ymd"]:
            return date(int(g["a_y"]), int(g["a_m"]), int(g["a_d"]))
        if g["ydm"]:
            return date(int(g["b_y"]), int(g["b_m"]), int(g["b_d"]))
        if g["ymd_kk"]:
            return date(int(g["c_y"]), int(g["c_m"]), int(g["c_d"]))
        if g["dmy"]:
            return date(int(g["d_y"]), int(g["d_m"]), int(g["d_d"]))
        if g["mdy"]:
            return date(int(g["e_y"]), int(g["e_m"]), int(g["e_d"]))
        return _numeric(int(g["f_a"]), int(g["f_b"]), g["f_y"], g["f_s"], ctx)
    except ValueError:  # 31 February and friends: not a date
        return None


def _numeric(a: int, b: int, year: str, sep: str, ctx: _Context) -> date:
    y = int(year)
    if len(year) == 2:
        y += 2000 if y <= ctx.today.year % 100 + 1 else 1900
    month_first = sep == "/" and (
        ctx.locale in lexicon.MONTH_FIRST_LOCALES or (ctx.lang == "en" and ctx.locale is None)
    )
    d, m = (b, a) if month_first else (a, b)
    if m > 12 and d <= 12:  # the order the language suggests is impossible: the other one
        d, m = m, d
    return date(y, m, d)


def _with_time(day: date, s: str, start: int, end: int, ctx: _Context) -> ParsedDate:
    """Attach the time of day written next to the date (after it, else before it)."""
    stop = len(s)
    for pattern in (DATE_WITH_YEAR, DATE_NO_YEAR, ctx.grammar.update_words):
        nxt = pattern.search(s, end)
        if nxt:
            stop = min(stop, nxt.start())
    m = TIME.search(s, end, stop)
    if m is None:
        before = list(TIME.finditer(s, 0, start))
        m = before[-1] if before else None
    clock = _clock(m) if m else None
    if clock is None:
        return ParsedDate(day, False)
    tzinfo = _zone_after(s, m.end()) or _zone_anywhere(s) or ctx.zone
    return ParsedDate.at(datetime.combine(day, clock, tzinfo))


def _clock(m: re.Match[str]) -> time | None:
    hour = int(m.group("h") or m.group("hh") or m.group("ha"))
    minute = int(m.group("mi") or 0)
    second = int(m.group("s") or 0)
    mer = MERIDIEM.get(m.group("mer") or "")
    if mer == "pm" and hour < 12:
        hour += 12
    elif mer == "am" and hour == 12:
        hour = 0
    elif mer == "noon" and 1 <= hour <= 6:
        hour += 12
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _offset_from(m: re.Match[str]) -> timezone | None:
    g = m.groupdict()
    if g.get("gs"):
        minutes = int(g["gh"]) * 60 + int(g["gm"] or 0)
        return timezone(timedelta(minutes=minutes if g["gs"] == "+" else -minutes))
    if g.get("os"):
        minutes = int(g["oh"]) * 60 + int(g["om"])
        return timezone(timedelta(minutes=minutes if g["os"] == "+" else -minutes))
    if g.get("name"):
        return timezone(timedelta(minutes=ZONE_NAMES[re.sub(r"\s+", " ", g["name"])]))
    return None


def _zone_after(s: str, pos: int) -> timezone | None:
    m = ZONE_AFTER_TIME.match(s, pos)
    return _offset_from(m) if m else None


def _zone_anywhere(s: str) -> timezone | None:
    m = ZONE_ANYWHERE.search(s)
    return _offset_from(m) if m else None


def _relative(s: str, ctx: _Context) -> ParsedDate | None:
    m = ctx.grammar.relative.search(s)
    if not m:
        return None
    groups = m.groups()
    pair = next(((groups[i], groups[i + 1]) for i in range(0, len(groups), 2) if groups[i + 1]), None)
    if pair is None:
        return None
    parts = [pair]
    # "2 weeks and 3 days ago" / "منذ 3 ساعات و20 دقيقة": the ago-word covers one part only.
    before = ctx.grammar.part_before.search(s, 0, m.start())
    if before:
        parts.append((before.group(1), before.group(2)))
    after = ctx.grammar.part_after.match(s, m.end())
    if after:
        parts.append((after.group(1), after.group(2)))
    seconds, days, months, finest = 0, 0, 0, "y"
    for number, word in parts:
        unit, implied = ctx.grammar.units[word.rstrip(".")]
        count = int(number) if number and number.isdigit() else (1 if number else implied)
        if unit in _SECONDS:
            seconds += _SECONDS[unit] * count
        elif unit in ("d", "w"):
            days += count * (7 if unit == "w" else 1)
        else:
            months += count * (12 if unit == "y" else 1)
        finest = min(finest, unit, key=_UNIT_ORDER.index)
    if finest in _SECONDS:
        value = ctx.base - timedelta(days=days, seconds=seconds)
        return ParsedDate(value.replace(second=0, microsecond=0), True, relative=True)
    day = ctx.today - timedelta(days=days)
    y, mo = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return ParsedDate(date(y, mo + 1, d), False, relative=True)
        except ValueError:
            continue
    return None


_SECONDS = {"s": 1, "min": 60, "h": 3600}
_UNIT_ORDER = ("s", "min", "h", "d", "w", "mo", "y")


_WORD_BEFORE = re.compile(r"\w[\w'’.]*\s*$")


def _day_word(s: str, ctx: _Context) -> ParsedDate | None:
    """"hier à 18h05", "вчера", "أمس على الساعة 22:10". A day word after another word and with
    no time after it is part of a name ("USA TODAY", "Maroc Aujourd'hui"), not a date."""
    m = ctx.grammar.day_words.search(s)
    if not m:
        return None
    if _WORD_BEFORE.search(s, 0, m.start()) and not TIME.search(s, m.end(), m.end() + 25):
        return None
    offset = ctx.grammar.day_offsets[re.sub(r"\s+", " ", m.group(1))]
    return replace(_with_time(ctx.today + timedelta(days=offset), s, m.start(), m.end(), ctx), relative=True)


def _dateparser(s: str, ctx: _Context) -> ParsedDate | None:
    """Last resort for shapes the fast path does not know; month marks go back to English."""
    from dateparser.date import DateDataParser

    tz_filter.install()  # no zone expressions built for a string that can hold no zone

    text = re.sub(f"{MONTH_MARK}(\\d\\d)", lambda m: _EN_MONTHS[int(m.group(1))], s)
    text = text.replace(HIJRI_MARK, " ")
    month_first = ctx.locale in lexicon.MONTH_FIRST_LOCALES or (ctx.lang == "en" and ctx.locale is None)
    settings = {
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": ctx.base.astimezone(ctx.zone).replace(tzinfo=None),
        "DATE_ORDER": "MDY" if month_first else "DMY",
        "STRICT_PARSING": False,
    }
    languages = [ctx.lang, "en"] if ctx.lang in _DATEPARSER_LANGS and ctx.lang != "en" else ["en"]
    parser = DateDataParser(languages=languages, settings=settings)
    # dateparser gives up on a leading byline word, so retry from the word before the first
    # digit (a month name may precede it), then from the digit itself.
    digit = _HAS_DIGIT.search(text).start()
    word_start = text.rfind(" ", 0, max(text.rfind(" ", 0, digit), 0)) + 1
    data = None
    for candidate in dict.fromkeys((text, text[word_start:], text[digit:])):
        try:
            data = parser.get_date_data(candidate)
        except Exception:  # dateparser raises assorted errors on odd input; a miss is a miss
            continue
        if data.date_obj is not None:
            break
    dt = data.date_obj if data else None
    if dt is None or data.period not in ("day", "time"):  # "février 2025" names no day
        return None
    if _time_only(text, parser):  # "14:30", "à 14h30": dateparser puts such a time on a day of its own choosing
        return None
    has_time = bool(TIME.search(s)) or data.period == "time"
    if not has_time:
        return ParsedDate(dt.date(), False)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ctx.zone)
    return ParsedDate.at(dt.replace(microsecond=0))


def _time_only(text: str, parser: Any) -> bool:
    """True when ``text`` without its times of day holds no digit, no month and no word that
    dateparser reads as a day ("lundi" is one; "à", which dateparser would also take, is not)."""
    rest = TIME.sub(" ", text).strip(" ,.-")
    if _HAS_DIGIT.search(rest) or MONTH_MARK in rest:
        return False
    if not any(len(word) >= 3 for word in re.findall(r"\w+", rest)):  # "", "à", "at", "в": no day named
        return True
    try:
        data = parser.get_date_data(rest)
    except Exception:  # as above: a miss is a miss
        return True
    return data.date_obj is None or data.period != "day"


_EN_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
# dateparser reads these of our known languages well enough to be worth a try as a fallback
_DATEPARSER_LANGS = frozenset(ANALYSED) | {"de", "pt", "tr", "fa"}
