"""A source as a validated model: where its articles are found, and how to read them right.

Sources are data, in the manner of fundus's publishers: each lists where its articles can be
discovered (feeds, sitemaps, site search, section pages) plus what the pipeline needs to read
them right (language, locale for regional month names, timezone for bylines without an offset).
The YAML file is read and validated once by ``newsmon.config.load_sources``; the crawl receives
these models and never validates them again.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from pipelines.languages import KNOWN
from pipelines.overrides import check_date_format, compile_selector

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")  # a name is also a file name and a URL segment


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _search_url(value: str) -> str:
    _http_url(value.replace("{query}", "q"))
    if "{query}" not in value:
        raise ValueError(f"search URL needs a {{query}} placeholder: {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
SearchUrl = Annotated[str, AfterValidator(_search_url)]


def _selector(value: str | None) -> str | None:
    """A CSS selector, or an XPath expression when it starts with "/" or "(": compiled once here
    so a typo is a config error at load time, not a silent miss on every page of the source."""
    if value is None:
        return None
    compile_selector(value)  # raises ValueError naming the problem
    return value


Selector = Annotated[str | None, AfterValidator(_selector)]


def check_name(value: str) -> str:
    """``value`` when it is usable as a name (of a source, of an alert rule)."""
    if not NAME_RE.match(value):
        raise ValueError("use lowercase letters, digits, '.', '_' or '-' (max 64)")
    return value


def check_timezone(value: str) -> str:
    """``value`` when it names an IANA zone; a ValueError saying what is expected otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r} (use an IANA name like Africa/Casablanca)") from None
    return value


class Overrides(BaseModel):
    """Per-source selectors applied before the generic extractors, where those fail on a site."""

    model_config = ConfigDict(extra="forbid")

    title: Selector = None  # CSS selector, or XPath when it starts with "/" or "("
    date: Selector = None  # the element whose text is the publication date (the byline)
    body: Selector = None  # the elements holding the article's paragraphs
    date_format: str | None = None  # strptime-style hint, e.g. "%d/%m/%Y %H:%M", tried first

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_date_format(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Overrides":
        if self.date_format and not self.date:
            raise ValueError("date_format needs a date selector")
        if not (self.title or self.date or self.body):
            raise ValueError("give at least one of title, date or body")
        return self


class Limits(BaseModel):
    """Per-source caps for one crawl, overriding the ``NEWSMON_MAX_*`` settings of the same name."""

    model_config = ConfigDict(extra="forbid")

    sitemaps: int | None = Field(default=None, ge=1)  # NEWSMON_MAX_SITEMAPS
    sitemap_depth: int | None = Field(default=None, ge=0, le=10)  # NEWSMON_MAX_SITEMAP_DEPTH
    feeds: int | None = Field(default=None, ge=1)  # NEWSMON_MAX_FEEDS
    listing_pages: int | None = Field(default=None, ge=1)  # NEWSMON_MAX_LISTING_PAGES_PER_SOURCE
    urls_per_document: int | None = Field(default=None, ge=1)  # NEWSMON_MAX_URLS_PER_DOCUMENT
    articles: int | None = Field(default=None, ge=1)  # NEWSMON_MAX_ARTICLES_PER_SOURCE


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    language: str
    locale: str | None = None  # e.g. ar-MA for Maghreb month names; defaults to language
    timezone: str = "UTC"
    homepage: HttpUrl | None = None  # feed autodiscovery and section crawling start here
    # `= []`, not Field(default_factory=list): pydantic copies a mutable default for each instance,
    # and a builtin factory made it read list's signature, whose first parse compiles tokenize's
    # regular expressions (~30 ms of CPU at every crawl's start).
    feeds: list[HttpUrl] = []
    sitemaps: list[HttpUrl] = []
    search: list[SearchUrl] = []
    sections: list[HttpUrl] = []
    section_depth: int = Field(default=1, ge=0, le=5)
    domains: list[str] = []  # extra domains articles may live on
    schedule: str | None = None  # "every 30m" or a 5-field cron line; None: NEWSMON_SCHEDULE_DEFAULT
    # `newsmon schedule` kills a crawl of this source running longer (seconds, or "20m");
    # None: NEWSMON_SCHEDULE_TIMEOUT_SECONDS
    crawl_timeout: float | None = None
    max_age_days: int | None = Field(default=None, ge=0)  # None: the crawl's default; 0: no limit
    delay: float | None = Field(default=None, ge=0)  # seconds between requests to this source
    concurrency: int | None = Field(default=None, ge=1, le=32)
    enabled: bool = True
    verified: date | None = None  # when the URLs were last checked against the live site
    notes: str = ""
    overrides: Overrides | None = None
    limits: Limits | None = None  # caps for this source, instead of the NEWSMON_MAX_* defaults
    # A news-search feed (Google News, Bing News): its links are redirects to publishers on any
    # host; they are resolved first and the article is fetched from the publisher's host.
    aggregator: bool = False
    # Read the Sitemap: lines of robots.txt (at the homepage's, else the first URL's, origin).
    # None: only when the homepage is the sole entry point and advertises no feed.
    robots_sitemaps: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in KNOWN:
            raise ValueError(f"unknown language {value!r} (expected one of {', '.join(sorted(KNOWN))})")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _has_entry_point(self) -> "Source":
        if not (self.feeds or self.sitemaps or self.search or self.sections or self.homepage):
            raise ValueError("give at least one of feeds, sitemaps, search, sections or homepage")
        if self.robots_sitemaps and not self.homepage:
            raise ValueError("robots_sitemaps needs a homepage (its robots.txt is read)")
        return self

    @property
    def robots_url(self) -> str | None:
        """robots.txt at the homepage's origin (None without a homepage)."""
        if not self.homepage:
            return None
        parts = urlsplit(self.homepage)
        return f"{parts.scheme}://{parts.netloc}/robots.txt"

    @property
    def all_urls(self) -> list[str]:
        urls = [*self.feeds, *self.sitemaps, *(u.replace("{query}", "") for u in self.search), *self.sections]
        return urls + ([self.homepage] if self.homepage else [])

    @property
    def allowed_hosts(self) -> set[str]:
        """Hosts this source's articles may be fetched from: its own URLs' hosts plus ``domains``."""
        hosts = {urlsplit(u).hostname or "" for u in self.all_urls}
        hosts.update(d.lower().lstrip(".") for d in self.domains)
        hosts.discard("")
        return hosts

    @property
    def effective_locale(self) -> str:
        return self.locale or self.language


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source]

    @model_validator(mode="after")
    def _unique_names(self) -> "SourcesFile":
        # Raised as a located ValidationError so the message points at the duplicate's own line.
        seen: set[str] = set()
        for i, source in enumerate(self.sources):
            if source.name in seen:
                error = PydanticCustomError("duplicate", "duplicate source name '{name}'", {"name": source.name})
                raise ValidationError.from_exception_data(
                    "SourcesFile", [InitErrorDetails(type=error, loc=("sources", i, "name"), input=source.name)])
            seen.add(source.name)
        return self
