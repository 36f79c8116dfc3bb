"""The byline table: every written date form the dates stage must read, and what it must read."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines.dates.normalize import ParsedDate, parse_date

TABLE = Path(__file__).parent / "fixtures" / "dates" / "cases.tsv"
DEFAULT_BASE = datetime(2025, 3, 21, 10, 0, tzinfo=timezone.utc)


def load_cases() -> list[dict[str, str]]:
    """Rows of cases.tsv (shared with benchmarks/dates.py, so both measure the same table)."""
    with TABLE.open(encoding="utf-8") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return list(rows)


def base_of(row: dict[str, str]) -> datetime:
    return datetime.fromisoformat(row["base"].replace("Z", "+00:00")) if row["base"] else DEFAULT_BASE


CASES = load_cases()


def test_table_is_broad_enough():
    langs = {row["lang"] for row in CASES}
    assert len(CASES) >= 150
    assert {"ar", "fr", "it", "en", "ru", "kk", "es"} <= langs
    assert any(row["expected"] == "" for row in CASES)


@pytest.mark.parametrize("row", CASES, ids=[f"{r['lang'] or 'any'}:{r['text']}" for r in CASES])
def test_table(row):
    parsed = parse_date(row["text"], row["lang"] or None, row["tz"], base_of(row), row["locale"] or None)
    assert (parsed.iso() if parsed else "") == row["expected"]


def test_date_only_is_never_shifted_across_midnight():
    # 5 March in Almaty (UTC+5) would become 4 March if converted through midnight local.
    parsed = parse_date("5 mars 2025", "fr", "Asia/Almaty", DEFAULT_BASE)
    assert parsed == ParsedDate(datetime(2025, 3, 5).date(), False)


def test_morocco_ramadan_offset_comes_from_zoneinfo():
    ramadan = parse_date("15 mars 2025 à 12h00", "fr", "Africa/Casablanca", DEFAULT_BASE)
    before = parse_date("15 février 2025 à 12h00", "fr", "Africa/Casablanca", DEFAULT_BASE)
    assert ramadan.iso() == "2025-03-15T12:00:00Z"
    assert before.iso() == "2025-02-15T11:00:00Z"


def test_explicit_offset_wins_over_source_zone():
    parsed = parse_date("21 février 2025 14:30 GMT", "fr", "Europe/Paris", DEFAULT_BASE)
    assert parsed.iso() == "2025-02-21T14:30:00Z"


def test_arabic_iso_date_is_not_day_month_swapped():
    # dateparser #1199: with languages=["ar"] an ISO date can come back with day and month swapped.
    assert parse_date("2025-03-04", "ar", "Africa/Cairo").iso() == "2025-03-04"
    assert parse_date("2025-03-04T09:00:00", "ar", "Africa/Cairo").iso() == "2025-03-04T07:00:00Z"


def test_arabic_without_locale_accepts_every_month_system():
    for text in ("21 شباط 2025", "21 فبراير 2025", "21 فيفري 2025"):
        assert parse_date(text, "ar", "UTC").iso() == "2025-02-21"
    for text in ("12 غشت 2024", "12 آب 2024", "12 أغسطس 2024", "12 أوت 2024"):
        assert parse_date(text, "ar", "UTC").iso() == "2024-08-12"


def test_language_tag_with_region_is_accepted_as_lang():
    assert parse_date("03/04/2025", "en-US", "UTC").iso() == "2025-03-04"
    assert parse_date("03/04/2025", "en-GB", "UTC").iso() == "2025-04-03"


def test_year_less_date_takes_the_most_recent_year():
    assert parse_date("18 déc.", "fr", "Europe/Paris", DEFAULT_BASE).iso() == "2024-12-18"
    assert parse_date("18 mars", "fr", "Europe/Paris", DEFAULT_BASE).iso() == "2025-03-18"


def test_unknown_timezone_is_an_error_naming_the_zone():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        parse_date("21 février 2025", "fr", "Mars/Olympus")


def test_languages_outside_the_lexicon_fall_back_to_dateparser():
    # German is not in lexicon.MONTHS: the fast path finds no shape, dateparser reads it, and
    # the time of day is still detected from the text, then converted from Berlin time.
    parsed = parse_date("Veröffentlicht am 21. Februar 2025, 14:30 Uhr", "de", "Europe/Berlin", DEFAULT_BASE)
    assert parsed.iso() == "2025-02-21T13:30:00Z"
    assert parse_date("21. Februar 2025", "de", "Europe/Berlin", DEFAULT_BASE).iso() == "2025-02-21"


def test_month_without_day_is_not_a_date():
    assert parse_date("février 2025", "fr", "Europe/Paris", DEFAULT_BASE) is None


def test_no_time_written_means_no_time():
    parsed = parse_date("Publié le 21 février 2025", "fr", "Europe/Paris", DEFAULT_BASE)
    assert parsed.has_time is False and parsed.iso() == "2025-02-21"
