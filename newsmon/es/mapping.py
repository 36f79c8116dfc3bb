"""The article index: template, analyzers, mapping, and the document built from a stored article.

Each article's title and text go twice into the index, routed by its language:

* ``title.<lang>`` / ``text.<lang>``: the original text, analyzed by Elasticsearch's built-in
  analyzer for that language (arabic, french, italian, english, russian, spanish), or by our
  ``newsmon_kazakh`` analyzer (there is no built-in one); ``title.std`` / ``text.std`` hold it for
  every article, analyzed by the language-neutral ``standard`` analyzer. This is what an analyst
  searches in Kibana (``text.fr : marocaines``).
* ``terms.title_<lang>`` / ``terms.text_<lang>`` and ``terms.*_any``: the tokens of
  ``pipelines.analysis`` (the analyzer of topic matching, alert rules and the embedded index),
  under a whitespace analyzer. ``newsmon search`` and the percolated alert rules query these,
  so a query means exactly the same thing on both backends (a contract test checks it on the
  sample site); the built-in analyzers stem differently and would not.

``newsmon_kazakh``: standard tokenizer, lowercase, a Kazakh stop list, then two
``pattern_replace`` filters that strip one case ending (genitive, dative, accusative, locative,
ablative, instrumental) and then one plural ending, never leaving a stem under three letters and
never cutting into a word that ends in -стан (Қазақстан). A light stemmer, in the manner of
``light_*`` stemmers: it conflates Қазақстанның / Қазақстанда / Қазақстанмен with Қазақстан.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.discovery import parse_iso
from newsmon.query import FAMILIES
from pipelines import analysis

# Bump when the mapping or analysis changes: `newsmon es migrate` moves to a new index.
MAPPING_VERSION = 1
BUILTIN_ANALYZERS = {"ar": "arabic", "fr": "french", "it": "italian", "en": "english", "ru": "russian",
                     "es": "spanish"}
TEXT_LANGS = tuple(BUILTIN_ANALYZERS) + ("kk",)
KEYWORDS = ("id", "source", "domain", "lang", "url", "canonical_url", "topics", "matched_terms", "date_source",
            "story_id", "published_offset")
TERMS_ANALYZER = "newsmon_terms"
KAZAKH_ANALYZER = "newsmon_kazakh"

KAZAKH_STOPWORDS = sorted(set(
    "және мен бен пен да де та те ма ме ба бе па пе ғой бұл осы сол ол олар біз сіз сен мен "
    "үшін туралы бойынша арқылы кейін дейін сияқты деп еді екен болып болды болады бар жоқ "
    "бір екі қандай неге не кім қай мұнда онда әр барлық өз ғана тек әлі енді".split()
))
_KK_CASE = ("ның|нің|дың|дің|тың|тің|дан|ден|тан|тен|нан|нен|мен|бен|пен|ға|ге|қа|ке|на|не|"
            "ны|ні|ды|ді|ты|ті|да|де|та|те")
KAZAKH_CASE_PATTERN = rf"^(?!.*стан$)(\p{{L}}{{3,}}?)(?:{_KK_CASE})$"
KAZAKH_PLURAL_PATTERN = r"^(\p{L}{3,}?)(?:лар|лер|дар|дер|тар|тер)$"


def index_settings() -> dict[str, Any]:
    return {
        "number_of_shards": 1,
        "analysis": {
            "filter": {
                "newsmon_kazakh_stop": {"type": "stop", "stopwords": KAZAKH_STOPWORDS},
                "newsmon_kazakh_case": {"type": "pattern_replace", "pattern": KAZAKH_CASE_PATTERN,
                                        "replacement": "$1"},
                "newsmon_kazakh_plural": {"type": "pattern_replace", "pattern": KAZAKH_PLURAL_PATTERN,
                                          "replacement": "$1"},
            },
            "analyzer": {
                KAZAKH_ANALYZER: {"type": "custom", "tokenizer": "standard",
                                  "filter": ["lowercase", "newsmon_kazakh_stop", "newsmon_kazakh_case",
                                             "newsmon_kazakh_plural"]},
                TERMS_ANALYZER: {"type": "custom", "tokenizer": "whitespace", "filter": []},
            },
        },
    }


def _text_object() -> dict[str, Any]:
    props: dict[str, Any] = {"std": {"type": "text", "analyzer": "standard"}}
    for lang in TEXT_LANGS:
        props[lang] = {"type": "text", "analyzer": BUILTIN_ANALYZERS.get(lang, KAZAKH_ANALYZER)}
    return {"properties": props}


def article_properties() -> dict[str, Any]:
    props: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORDS}
    props["url"] = {"type": "keyword", "ignore_above": 2048}
    props["canonical_url"] = {"type": "keyword", "ignore_above": 2048}
    for name in ("published_at", "fetched_at", "modified_at", "date"):
        props[name] = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}
    # the byline's own wall clock: the original string (with its offset) is kept in _source
    props["published_local"] = {"type": "date", "format": "strict_date_optional_time"}
    props["relevance_score"] = {"type": "float"}
    props["relevant"] = {"type": "boolean"}
    props["author"] = {"type": "keyword", "ignore_above": 512}
    props["matched_term_counts"] = {"type": "object", "enabled": False}
    props["title"] = _text_object()
    props["text"] = _text_object()
    props["terms"] = {"properties": {f"{kind}_{fam}": {"type": "text", "analyzer": TERMS_ANALYZER}
                                     for fam in FAMILIES for kind in ("title", "text")}}
    return props


def article_mappings() -> dict[str, Any]:
    return {"dynamic": "strict", "_meta": {"newsmon_mapping": MAPPING_VERSION}, "properties": article_properties()}


def index_template(alias: str) -> dict[str, Any]:
    """Body of PUT _index_template/<alias>: every ``<alias>-NNNNNN`` index gets this."""
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 200,
        "_meta": {"managed_by": "newsmon", "newsmon_mapping": MAPPING_VERSION},
        "template": {"settings": index_settings(), "mappings": article_mappings()},
    }


def rules_index_body() -> dict[str, Any]:
    """The percolator index: it must map every field a rule's query names, so it carries the
    article mapping plus the stored query."""
    props = copy.deepcopy(article_properties())
    props["query"] = {"type": "percolator"}
    props["rule"] = {"type": "keyword"}
    props["query_string"] = {"type": "keyword", "index": False}
    return {"settings": index_settings(),
            "mappings": {"dynamic": "strict", "_meta": {"newsmon_mapping": MAPPING_VERSION}, "properties": props}}


def index_name(alias: str, number: int) -> str:
    return f"{alias}-{number:06d}"


# -- documents ---------------------------------------------------------------------------

def local_published(published_at: str | None, tz_name: str | None) -> tuple[str | None, str | None]:
    """The publication time on the source's own clock, with its offset (``2025-02-21T18:42:00+01:00``),
    and the offset alone; a date without a time stays a date."""
    if not published_at:
        return None, None
    if len(published_at) == 10:
        return published_at, None
    moment = parse_iso(published_at)
    if moment is None:
        return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        zone = ZoneInfo(tz_name) if tz_name else timezone.utc
    except (KeyError, ValueError):
        zone = timezone.utc
    local = moment.astimezone(zone)
    text = local.isoformat(timespec="seconds")
    offset = text[19:] if len(text) > 19 else "+00:00"
    return text, offset


def article_document(article: dict[str, Any], tz_name: str | None = None) -> dict[str, Any]:
    """The indexed document for a stored article (``_id`` is the article id)."""
    lang = (article.get("lang") or "").lower() or None
    title = article.get("title") or ""
    text = article.get("text") or ""
    url = article.get("url") or ""
    published_local, offset = local_published(article.get("published_at"), tz_name)
    matched = article.get("matched_terms") or {}
    doc: dict[str, Any] = {
        "id": article["id"],
        "source": article.get("source"),
        "domain": (urlsplit(article.get("canonical_url") or url).hostname or None),
        "lang": lang,
        "url": url,
        "canonical_url": article.get("canonical_url") or url,
        "author": article.get("author"),
        "topics": list(article.get("topics") or []),
        "matched_terms": sorted(matched) if isinstance(matched, dict) else list(matched),
        "matched_term_counts": matched if isinstance(matched, dict) else {},
        "date_source": article.get("date_source"),
        "story_id": article.get("story_id"),
        "published_at": article.get("published_at"),
        "published_local": published_local,
        "published_offset": offset,
        "fetched_at": article.get("fetched_at"),
        "modified_at": article.get("modified_at"),
        "date": article.get("published_at") or article.get("fetched_at"),
        "relevant": bool(article.get("relevant")),
        "relevance_score": float(article.get("relevance_score") or 0),
        "title": {"std": title},
        "text": {"std": text},
        "terms": {},
    }
    if lang in TEXT_LANGS:
        doc["title"][lang] = title
        doc["text"][lang] = text
    for kind, value in (("title", title), ("text", text)):
        neutral, stemmed = _terms(value, lang)
        doc["terms"][f"{kind}_any"] = " ".join(neutral)
        if stemmed is not None:
            doc["terms"][f"{kind}_{lang}"] = " ".join(stemmed)
    return doc


def _terms(text: str, lang: str | None) -> tuple[list[str], list[str] | None]:
    """``analysis.analyze(text, None)`` and ``analysis.analyze(text, lang)`` from one tokenization
    (None for a language the analysis does not stem): the embedded index's ``analyze_twice``."""
    if lang not in analysis.LANGUAGES:
        return analysis.analyze(text, None), None
    stemmed, neutral = analysis.analyze_twice(text, lang)
    return neutral, stemmed


def document_article(source: dict[str, Any]) -> dict[str, Any]:
    """Back from an indexed document to the article fields search results show."""
    return {
        "id": source["id"], "url": source.get("url"), "canonical_url": source.get("canonical_url"),
        "title": (source.get("title") or {}).get("std") or None, "text": (source.get("text") or {}).get("std") or "",
        "source": source.get("source"), "lang": source.get("lang"), "published_at": source.get("published_at"),
        "modified_at": source.get("modified_at"), "fetched_at": source.get("fetched_at"),
        "date_source": source.get("date_source"), "topics": source.get("topics") or [],
        "matched_terms": source.get("matched_term_counts") or {}, "author": source.get("author"),
        "story_id": source.get("story_id"), "relevance_score": source.get("relevance_score"),
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
