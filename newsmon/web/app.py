"""The FastAPI application behind `newsmon serve`: server-rendered pages and a JSON API.

Read-only by construction: only GET routes, the store opened with ``mode=ro``, the index opened
without a writer. Crawled text is untrusted: the templates autoescape every value, snippets and
highlights are built on escaped text (:meth:`newsmon.snippets.Snippet.html`), links to outlets
pass :func:`newsmon.alerts.render.safe_url`, and a Content-Security-Policy forbids any script but
the page's own file.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from newsmon.alerts.feed import atom_feed, latest_matches
from newsmon.alerts.render import safe_url
from newsmon.es.errors import EsError
from newsmon.query import QueryError, parse
from newsmon.search import SORTS, EmbeddedBackend, SearchBackend, SearchHit, SearchPage
from newsmon.search_index import Filters, IndexError_
from newsmon.store import Store, StoreError
from newsmon.web import data
from newsmon.web.chart import colour, mentions_svg

HERE = Path(__file__).parent
PER_PAGE = 20
MAX_PAGE = 500
TOKEN_COOKIE = "newsmon_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
LANG_NAMES = {"ar": "Arabic", "fr": "French", "en": "English", "ru": "Russian", "kk": "Kazakh", "it": "Italian",
              "es": "Spanish"}


@dataclass
class ServeConfig:
    data_dir: Path
    token: str | None = None  # required on every request when set
    sources_file: Path | None = None  # for each source's time zone
    alerts_file: Path | None = None


# -- API models (the OpenAPI schema is generated from them) ------------------------------------

class ApiHit(BaseModel):
    id: str
    url: str
    title: str | None
    source: str
    lang: str | None
    published_at: str | None
    snippet: str
    snippet_html: str
    score: float
    story_id: str | None
    story_size: int
    topics: list[str]


class ApiSearch(BaseModel):
    total: int
    page: int
    pages: int
    hits: list[ApiHit]
    facets: dict[str, Any]
    backend: str  # "embedded" or "elasticsearch": which one answered


class ApiError(BaseModel):
    error: str


# -- middleware ----------------------------------------------------------------------------------

class Guard(BaseHTTPMiddleware):
    """Security headers on every answer; the token check when one is configured (a bearer
    header, or the cookie set by opening any page once with ``?token=``)."""

    def __init__(self, app: Any, token: str | None):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method not in ("GET", "HEAD"):
            response: Response = JSONResponse({"error": "read-only: only GET is served"}, status_code=405)
        elif self.token and not self._allowed(request):
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                response = RedirectResponse(request.url.path + (f"?{urlencode(rest)}" if rest else ""), 303)
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            else:
                response = JSONResponse({"error": "a token is required (NEWSMON_SERVE_TOKEN)"}, status_code=401)
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def _allowed(self, request: Request) -> bool:
        assert self.token
        header = request.headers.get("authorization", "")
        candidates = [header[7:] if header.lower().startswith("bearer ") else "",
                      request.cookies.get(TOKEN_COOKIE, "")]
        return any(c and hmac.compare_digest(c.encode(), self.token.encode()) for c in candidates)


# -- templates -----------------------------------------------------------------------------------

def _environment(config: ServeConfig, backend: SearchBackend) -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    zones = data.source_timezones(config.sources_file)

    def local(published_at: str | None, source: str | None) -> str | None:
        return data.page_local_time(published_at, zones.get(source or ""))

    version = getattr(backend, "version", None)
    env.globals.update(local_time=local, lang_name=lambda c: LANG_NAMES.get(c or "", c or "?"), colour=colour,
                       safe_url=safe_url, backend_label=f"Elasticsearch {version}" if version else None,
                       backend_about=backend.describe())
    return env


def create_app(config: ServeConfig, backend: SearchBackend | None = None) -> FastAPI:
    """``backend``: where searches go (newsmon.search.open_backend); the embedded index of
    ``config.data_dir`` when None."""
    app = FastAPI(title="newsmon", summary="Read-only search over the articles newsmon stored",
                  version="1", docs_url=None, redoc_url=None)  # the docs pages load from a CDN: not served
    app.add_middleware(Guard, token=config.token)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    searcher: SearchBackend = backend or EmbeddedBackend(config.data_dir)
    env = _environment(config, searcher)

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def run_search(q: str, filters: Filters, sort: str, page: int) -> SearchPage:
        tree = parse(q)  # QueryError before the backend is asked
        return searcher.page(tree, filters, sort=sort, page=page, per_page=PER_PAGE)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, q: str = "", lang: str = "", source: str = "", topic: str = "", since: str = "",
             until: str = "", sort: str = "relevance", page: int = Query(1, ge=1, le=MAX_PAGE)) -> HTMLResponse:
        params = {"q": q, "lang": lang, "source": source, "topic": topic, "since": since, "until": until,
                  "sort": sort if sort in SORTS else "relevance"}
        filters = Filters(lang or None, source or None, topic or None, since or None, until or None)
        error: QueryError | None = None
        result: SearchPage | None = None
        problem = None
        try:
            result = run_search(q, filters, params["sort"], page)
        except QueryError as exc:
            error = exc
        except (StoreError, IndexError_, EsError) as exc:
            problem = str(exc)

        def link(**changes: Any) -> str:
            merged = {**params, **changes}
            if "page" not in changes:
                merged.pop("page", None)
            return "/?" + urlencode({k: v for k, v in merged.items() if v not in ("", None, 1)
                                     and not (k == "sort" and v == "relevance")})

        titles = {h.article["id"]: data.highlighted_parts(h.article["title"] or "", h.article["lang"], q)
                  for h in result.hits} if result else {}
        return render("search.html", params=params, result=result, error=error, problem=problem, link=link,
                      titles=titles,
                      chart=mentions_svg(result.facets.get("days", {})) if result else Markup(""),
                      active="search")

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(article_id: str, q: str = "") -> HTMLResponse:
        article = _article_or_404(config, article_id, searcher)
        parts = data.highlighted_parts(article["text"] or "", article.get("lang"), q)
        title = data.highlighted_parts(article["title"] or "(no title)", article.get("lang"), q)
        return render("article.html", article=article, parts=parts, title=title, q=q, active="search")

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page() -> HTMLResponse:
        return render("alerts.html", overview=_guard(lambda: data.alerts_overview(config.data_dir, config.alerts_file)),
                      active="alerts")

    @app.get("/alerts/{rule}/feed.atom", summary="A rule's Atom feed")
    def alert_feed(rule: str, request: Request, limit: int = Query(50, ge=1, le=500)) -> Response:
        with _store(config) as store:
            known = store.db.execute("SELECT 1 FROM alert_rules WHERE name = ?", (rule,)).fetchone()
            if not known:
                raise HTTPException(404, f"no alert rule named {rule!r} in this store")
            matches = latest_matches(store, rule, limit)
        return Response(atom_feed(rule, matches, self_url=str(request.url)), media_type="application/atom+xml")

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page() -> HTMLResponse:
        return render("runs.html", runs=_guard(lambda: data.runs(config.data_dir)),
                      health=_guard(lambda: data.sources(config.data_dir)), active="runs")

    # -- JSON API ----------------------------------------------------------------------------

    @app.get("/api/search", response_model=ApiSearch, responses={400: {"model": ApiError}},
             summary="Search the stored articles (same query syntax as `newsmon search`)")
    def api_search(q: str = "", lang: str = "", source: str = "", topic: str = "", since: str = "",
                   until: str = "", sort: str = Query("relevance", pattern="^(relevance|date)$"),
                   page: int = Query(1, ge=1, le=MAX_PAGE)) -> Any:
        filters = Filters(lang or None, source or None, topic or None, since or None, until or None)
        try:
            result = run_search(q, filters, sort, page)
        except QueryError as exc:
            return JSONResponse({"error": str(exc), "column": exc.pos + 1}, status_code=400)
        except (StoreError, IndexError_, EsError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return {"total": result.total, "page": result.page, "pages": result.pages,
                "hits": [_api_hit(h, result) for h in result.hits], "facets": result.facets,
                "backend": searcher.name}

    @app.get("/api/articles/{article_id}", summary="One stored article, with the other outlets of its story")
    def api_article(article_id: str) -> dict[str, Any]:
        return data.api_article(_article_or_404(config, article_id, searcher))

    @app.get("/api/runs", summary="Latest crawl runs, newest first")
    def api_runs(limit: int = Query(50, ge=1, le=1000)) -> list[dict[str, Any]]:
        return _guard(lambda: data.runs(config.data_dir, limit))

    @app.get("/api/sources", summary="The scheduler and each source's health (as `newsmon status --json`)")
    def api_sources() -> dict[str, Any]:
        return _guard(lambda: data.sources(config.data_dir))

    return app


def _api_hit(hit: SearchHit, result: SearchPage) -> dict[str, Any]:
    a = hit.article
    story = a.get("story_id")
    return {"id": a["id"], "url": a["url"], "title": a["title"], "source": a["source"], "lang": a["lang"],
            "published_at": a["published_at"], "snippet": hit.snippet.plain("", ""),
            "snippet_html": hit.snippet.html(), "score": round(hit.score, 4), "story_id": story,
            "story_size": result.story_sizes.get(story, 1) if story else 1, "topics": a["topics"]}


def _store(config: ServeConfig) -> Store:
    try:
        return Store(config.data_dir, readonly=True)
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from None


def _guard(fn: Any) -> Any:
    try:
        return fn()
    except (StoreError, EsError) as exc:
        raise HTTPException(503, str(exc)) from None


def _article_or_404(config: ServeConfig, article_id: str, backend: SearchBackend) -> dict[str, Any]:
    article = _guard(lambda: data.article_view(config.data_dir, article_id, backend))
    if article is None:
        raise HTTPException(404, "no stored article has this id")
    return article
