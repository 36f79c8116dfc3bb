"""A local HTTP server that answers like Elasticsearch 8.19 or 9.x, for contract tests.

It is not Elasticsearch: it speaks the REST API newsmon uses, with the behaviours that break
clients in practice, and records every request so tests can assert what was sent:

* every answer carries ``X-Elastic-Product: Elasticsearch``; ``GET /`` gives the version;
* the compatibility header is checked as a real server does: ES 8 accepts
  ``compatible-with=7|8`` and answers 400 "Invalid media-type value" to 9 (elasticsearch-py
  #2928); ES 9 accepts 8 and 9;
* ``dynamic: strict`` mappings refuse unknown fields per document, as ES does;
* faults on demand: a whole ``_bulk`` answered 429 (or 503), per-document 429 or 400 items;
* queries are evaluated for the clauses newsmon emits (bool, term, terms, match_phrase,
  prefix, range, match_all, ids, percolate) over whitespace-analyzed fields — enough to compare
  hits with the embedded index, nothing more. Text fields with other analyzers are refused (400),
  so a query aimed at them cannot pass unnoticed;
* what the search page asks (``aggregate``, ``sort_hits``, ``highlight``): ``filter``, ``terms``
  and ``date_histogram`` aggregations with sub-aggregations, ``post_filter``, ``from``/``size``
  within the 10,000 window, field sorts with ``missing``, ``track_total_hits``, and highlights
  with a ``highlight_query`` on a standard-analyzed field (Unicode words, lowercased: a stand-in
  for the standard analyzer). Response shapes are ES's documented ones, the same in 8.19 and 9.x.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VERSIONS = {8: "8.19.3", 9: "9.1.5"}
ACCEPTED_COMPAT = {8: {7, 8}, 9: {8, 9}}
COMPAT = re.compile(r"compatible-with=(\d+)")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@dataclass
class Index:
    mappings: dict[str, Any]
    settings: dict[str, Any]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeES:
    def __init__(self, major: int = 9, *, api_key: str | None = None, basic: tuple[str, str] | None = None):
        self.major = major
        self.version = VERSIONS[major]
        self.api_key = api_key
        self.basic = basic
        self.requests: list[Request] = []
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, Index] = {}
        self.aliases: dict[str, dict[str, dict[str, Any]]] = {}  # alias → index → props
        self.bulk_statuses: list[int] = []       # whole-request answers for the next _bulk calls
        self.item_faults: dict[str, list[int]] = {}  # doc id → statuses for its next attempts
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeES":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if (method is None or re.fullmatch(method, r.method))
                and (path is None or re.fullmatch(path, r.path))]

    # -- HTTP plumbing ---------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                req = Request(self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake.lock:
                    fake.requests.append(req)
                    status, payload = fake.handle(req)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", f"application/vnd.elasticsearch+json;compatible-with={fake.major}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

        return Handler

    # -- dispatch --------------------------------------------------------------------------

    def handle(self, req: Request) -> tuple[int, Any]:
        for name in ("accept", "content-type"):
            m = COMPAT.search(req.headers.get(name, ""))
            if m and int(m.group(1)) not in ACCEPTED_COMPAT[self.major]:
                return 400, _error("media_type_header_exception",
                                   "Invalid media-type value on headers [Accept, Content-Type]", 400)
        if not self._authorized(req):
            return 401, _error("security_exception", "unable to authenticate user", 401)
        p = req.path.rstrip("/") or "/"
        m = req.method
        if p == "/" and m in ("GET", "HEAD"):
            return 200, {"name": "fake-node", "cluster_name": "newsmon-test", "cluster_uuid": "x",
                         "version": {"number": self.version, "build_flavor": "default", "lucene_version": "10"},
                         "tagline": "You Know, for Search"}
        if (t := re.fullmatch(r"/_index_template/([^/]+)", p)) and m == "PUT":
            self.templates[t.group(1)] = req.json()
            return 200, {"acknowledged": True}
        if (t := re.fullmatch(r"/_alias/([^/]+)", p)) and m in ("GET", "HEAD"):
            alias = t.group(1)
            if alias not in self.aliases or not self.aliases[alias]:
                return 404, {"error": f"alias [{alias}] missing", "status": 404}
            return 200, {i: {"aliases": {alias: props}} for i, props in self.aliases[alias].items()}
        if p == "/_aliases" and m == "POST":
            return self._update_aliases(req.json()["actions"])
        if p == "/_bulk" or re.fullmatch(r"/[^_/][^/]*/_bulk", p):
            return self._bulk(req)
        if p == "/_reindex" and m == "POST":
            return self._reindex(req.json())
        if (t := re.fullmatch(r"/([^_/][^/]*)/_search", p)) and m in ("GET", "POST"):
            return self._search(t.group(1), req.json() or {})
        if (t := re.fullmatch(r"/([^_/][^/]*)/_count", p)):
            names = self._resolve(t.group(1))
            if names is None:
                return 404, _error("index_not_found_exception", f"no such index [{t.group(1)}]", 404)
            return 200, {"count": sum(len(self.indices[n].docs) for n in names)}
        if (t := re.fullmatch(r"/([^_/][^/]*)/_refresh", p)):
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if (t := re.fullmatch(r"/([^_/][^/]*)/_mapping", p)):
            names = self._resolve(t.group(1))
            if names is None:
                return 404, _error("index_not_found_exception", f"no such index [{t.group(1)}]", 404)
            if m == "GET":
                return 200, {n: {"mappings": self.indices[n].mappings} for n in names}
            body = req.json()
            for n in names:
                self.indices[n].mappings.setdefault("properties", {}).update(body.get("properties", {}))
                if "_meta" in body:
                    self.indices[n].mappings["_meta"] = body["_meta"]
            return 200, {"acknowledged": True}
        if (t := re.fullmatch(r"/([^_/][^/]*)", p)):
            name = t.group(1)
            if m == "HEAD":
                return (200 if name in self.indices or name in self.aliases else 404), None
            if m == "PUT":
                return self._create_index(name, req.json() or {})
            if m == "GET" and name in self.indices:
                ix = self.indices[name]
                return 200, {name: {"mappings": ix.mappings, "settings": ix.settings}}
        return 400, _error("illegal_argument_exception", f"fake ES does not serve {m} {p}", 400)

    def _authorized(self, req: Request) -> bool:
        if self.api_key is None and self.basic is None:
            return True
        auth = req.headers.get("authorization", "")
        if self.api_key is not None and auth == f"ApiKey {self.api_key}":
            return True
        if self.basic is not None:
            token = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            return auth == f"Basic {token}"
        return False

    # -- indices and aliases -------------------------------------------------------------

    def _resolve(self, name: str) -> list[str] | None:
        names: list[str] = []
        for part in name.split(","):
            if part in self.aliases and self.aliases[part]:
                names += sorted(self.aliases[part])
            elif part in self.indices:
                names.append(part)
            else:
                return None
        return names

    def _write_index(self, name: str) -> str | None:
        if name in self.indices:
            return name
        members = self.aliases.get(name) or {}
        writers = [i for i, props in members.items() if props.get("is_write_index")] or (list(members) if len(members) == 1 else [])
        return writers[0] if writers else None

    def _create_index(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        if name in self.indices:
            return 400, _error("resource_already_exists_exception", f"index [{name}] already exists", 400)
        mappings: dict[str, Any] = {}
        settings: dict[str, Any] = {}
        for tpl in sorted(self.templates.values(), key=lambda t: t.get("priority", 0)):
            if any(fnmatch.fnmatch(name, pat) for pat in tpl.get("index_patterns", [])):
                mappings = copy.deepcopy(tpl.get("template", {}).get("mappings", {}))
                settings = copy.deepcopy(tpl.get("template", {}).get("settings", {}))
        mappings.update(copy.deepcopy(body.get("mappings") or {}))
        settings.update(copy.deepcopy(body.get("settings") or {}))
        self.indices[name] = Index(mappings, settings)
        for alias, props in (body.get("aliases") or {}).items():
            self.aliases.setdefault(alias, {})[name] = props
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        staged = copy.deepcopy(self.aliases)
        for action in actions:
            (kind, args), = action.items()
            if args["index"] not in self.indices:
                return 404, _error("index_not_found_exception", f"no such index [{args['index']}]", 404)
            if kind == "add":
                staged.setdefault(args["alias"], {})[args["index"]] = {
                    k: v for k, v in args.items() if k not in ("index", "alias")}
            elif kind == "remove":
                staged.get(args["alias"], {}).pop(args["index"], None)
        self.aliases = staged  # all or nothing, like the real call
        return 200, {"acknowledged": True}

    # -- documents -----------------------------------------------------------------------

    def _bulk(self, req: Request) -> tuple[int, Any]:
        if self.bulk_statuses:
            status = self.bulk_statuses.pop(0)
            if status >= 400:
                kind = "es_rejected_execution_exception" if status == 429 else "unavailable_shards_exception"
                return status, _error(kind, f"fake: whole bulk answered {status}", status)
        lines = req.ndjson()
        items = []
        i = 0
        while i < len(lines):
            (op, meta), = lines[i].items()
            source = lines[i + 1] if op in ("index", "create", "update") else None
            i += 2 if source is not None else 1
            doc_id = meta.get("_id")
            target = meta.get("_index") or req.path.strip("/").split("/")[0]
            faults = self.item_faults.get(doc_id)
            if faults:
                status = faults.pop(0)
                kind = ("es_rejected_execution_exception" if status == 429 else "mapper_parsing_exception")
                items.append({op: {"_index": target, "_id": doc_id, "status": status,
                                   "error": {"type": kind, "reason": f"fake {kind} for [{doc_id}]"}}})
                continue
            if req.query.get("require_alias") == "true" and target not in self.aliases:
                items.append({op: {"_index": target, "_id": doc_id, "status": 404, "error": {
                    "type": "index_not_found_exception",
                    "reason": f"no such index [{target}] and [require_alias] request flag is [true] and [{target}] is not an alias"}}})
                continue
            index = self._write_index(target)
            if index is None:
                items.append({op: {"_index": target, "_id": doc_id, "status": 404,
                                   "error": {"type": "index_not_found_exception", "reason": f"no such index [{target}]"}}})
                continue
            ix = self.indices[index]
            if op == "delete":
                existed = ix.docs.pop(doc_id, None) is not None
                items.append({op: {"_index": index, "_id": doc_id, "status": 200 if existed else 404,
                                   "result": "deleted" if existed else "not_found"}})
                continue
            problem = strict_violation(source, ix.mappings)
            if problem:
                items.append({op: {"_index": index, "_id": doc_id, "status": 400,
                                   "error": {"type": "strict_dynamic_mapping_exception", "reason": problem}}})
                continue
            created = doc_id not in ix.docs
            ix.docs[doc_id] = source
            items.append({op: {"_index": index, "_id": doc_id, "status": 201 if created else 200,
                               "result": "created" if created else "updated"}})
        errors = any(next(iter(it.values())).get("error") for it in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def _reindex(self, body: dict[str, Any]) -> tuple[int, Any]:
        sources = self._resolve(body["source"]["index"])
        dest = body["dest"]["index"]
        if sources is None or dest not in self.indices:
            return 404, _error("index_not_found_exception", "no such index", 404)
        total = 0
        failures = []
        for name in sources:
            for doc_id, doc in self.indices[name].docs.items():
                problem = strict_violation(doc, self.indices[dest].mappings)
                if problem:
                    failures.append({"id": doc_id, "cause": {"type": "strict_dynamic_mapping_exception", "reason": problem}})
                    continue
                self.indices[dest].docs[doc_id] = copy.deepcopy(doc)
                total += 1
        return 200, {"took": 1, "total": total, "created": total, "failures": failures}

    def _search(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        names = self._resolve(name)
        if names is None:
            return 404, _error("index_not_found_exception", f"no such index [{name}]", 404)
        query = body.get("query") or {"match_all": {}}
        offset, size = int(body.get("from", 0)), int(body.get("size", 10))
        if offset + size > MAX_RESULT_WINDOW:
            return 400, _error("illegal_argument_exception",
                               f"Result window is too large, from + size must be less than or equal to: "
                               f"[{MAX_RESULT_WINDOW}] but was [{offset + size}].", 400)
        hits = []
        try:
            if "percolate" in query:
                hits = self._percolate(names, query["percolate"])
            else:
                for n in names:
                    mappings = self.indices[n].mappings
                    for doc_id, doc in self.indices[n].docs.items():
                        score = evaluate(query, doc, mappings, doc_id)
                        if score is not None:
                            hits.append({"_index": n, "_id": doc_id, "_score": score, "_source": doc})
            mappings = self.indices[names[0]].mappings if names else {}
            aggregations = ({key: aggregate(spec, [h["_source"] for h in hits], mappings)
                             for key, spec in body["aggs"].items()} if body.get("aggs") else None)
            if body.get("post_filter"):  # narrows the hits after the aggregations saw them all
                hits = [h for h in hits if evaluate(body["post_filter"], h["_source"], mappings, h["_id"]) is not None]
            sort = body.get("sort")
            by_score = not sort or any(_sort_field(s)[0] == "_score" for s in sort)
            hits = sort_hits(hits, sort)
            page = hits[offset:offset + size]
            highlighted = [highlight(body["highlight"], h["_source"], mappings) for h in page] if body.get("highlight") else None
        except QueryError as exc:
            return 400, _error("query_shard_exception", str(exc), 400)
        except AggregationError as exc:
            return 400, _error("x_content_parse_exception", str(exc), 400)
        out = []
        for i, h in enumerate(page):
            h = dict(h)
            if not by_score:
                h["_score"] = None  # as ES: a field sort computes no score
            if sort:
                h["sort"] = h.pop("_sort")
            else:
                h.pop("_sort", None)
            src = body.get("_source", True)
            if src is False:
                h.pop("_source")
            elif isinstance(src, dict) and src.get("excludes"):
                h["_source"] = {k: v for k, v in h["_source"].items() if k not in src["excludes"]}
            elif isinstance(src, list):
                h["_source"] = {k: v for k, v in h["_source"].items() if k in src}
            if highlighted and highlighted[i]:
                h["highlight"] = highlighted[i]
            out.append(h)
        result: dict[str, Any] = {"took": 1, "timed_out": False,
                                  "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                                  "hits": {"max_score": max((h["_score"] for h in out if h["_score"] is not None),
                                                            default=None), "hits": out}}
        track = body.get("track_total_hits", MAX_RESULT_WINDOW)
        if track is not False:  # ES counts exactly up to the limit (10,000 unless told), then says "gte"
            limit = float("inf") if track is True else int(track)
            result["hits"]["total"] = ({"value": len(hits), "relation": "eq"} if len(hits) <= limit
                                       else {"value": int(limit), "relation": "gte"})
        if aggregations is not None:
            result["aggregations"] = aggregations
        return 200, result

    def _percolate(self, names: list[str], spec: dict[str, Any]) -> list[dict[str, Any]]:
        docs = spec.get("documents") or ([spec["document"]] if "document" in spec else [])
        hits = []
        for n in names:
            ix = self.indices[n]
            for rule_id, rule in ix.docs.items():
                slots = [i for i, d in enumerate(docs) if strict_violation(d, ix.mappings) is None
                         and evaluate(rule[spec["field"]], d, ix.mappings) is not None]
                bad = [strict_violation(d, ix.mappings) for d in docs if strict_violation(d, ix.mappings)]
                if bad:
                    raise QueryError(bad[0])
                if slots:
                    hits.append({"_index": n, "_id": rule_id, "_score": 1.0, "_source": rule,
                                 "fields": {"_percolator_document_slot": slots}})
        return hits


class QueryError(Exception):
    pass


class AggregationError(Exception):
    pass


MAX_RESULT_WINDOW = 10_000
DAY_MS = 86_400_000


def _error(kind: str, reason: str, status: int) -> dict[str, Any]:
    return {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
            "status": status}


def strict_violation(doc: Any, mappings: dict[str, Any], prefix: str = "") -> str | None:
    """The first field ES would refuse under ``dynamic: strict`` (None: the document fits)."""
    if mappings.get("dynamic") != "strict" and prefix == "":
        return None
    props = mappings.get("properties", {})
    for key, value in (doc or {}).items():
        if key not in props:
            where = prefix.rstrip(".") or "_doc"
            return f"mapping set to strict, dynamic introduction of [{key}] within [{where}] is not allowed"
        spec = props[key]
        if "properties" in spec and isinstance(value, dict):
            inner = strict_violation(value, {"dynamic": "strict", "properties": spec["properties"]}, f"{prefix}{key}.")
            if inner:
                return inner
    return None


def _field(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _spec(mappings: dict[str, Any], path: str) -> dict[str, Any]:
    cur: dict[str, Any] = mappings
    for part in path.split("."):
        cur = cur.get("properties", {}).get(part, {})
    return cur


def _values(value: Any) -> list[Any]:
    return [] if value is None else (value if isinstance(value, list) else [value])


def _tokens(doc: dict[str, Any], path: str, mappings: dict[str, Any]) -> list[str]:
    spec = _spec(mappings, path)
    if spec.get("type") == "text" and spec.get("analyzer") != "newsmon_terms":
        raise QueryError(f"fake ES cannot analyze [{path}] ({spec.get('analyzer')})")
    return [t for v in _values(_field(doc, path)) for t in str(v).split()]


def _date(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def evaluate(query: dict[str, Any], doc: dict[str, Any], mappings: dict[str, Any],
             doc_id: str | None = None) -> float | None:
    """A score when ``doc`` matches, None otherwise."""
    (kind, args), = query.items()
    if kind == "match_all":
        return 1.0
    if kind == "ids":
        return 1.0 if doc_id in args.get("values", []) else None
    if kind == "term":
        (path, spec), = args.items()
        value, boost = (spec["value"], spec.get("boost", 1.0)) if isinstance(spec, dict) else (spec, 1.0)
        if _spec(mappings, path).get("type") == "text":
            return boost if str(value) in _tokens(doc, path, mappings) else None
        return boost if value in _values(_field(doc, path)) else None
    if kind == "prefix":
        (path, spec), = args.items()
        value, boost = (spec["value"], spec.get("boost", 1.0)) if isinstance(spec, dict) else (spec, 1.0)
        return boost if any(t.startswith(value) for t in _tokens(doc, path, mappings)) else None
    if kind == "terms":
        (path, values), = args.items()
        return 1.0 if set(values) & set(_values(_field(doc, path))) else None
    if kind == "match_phrase":
        (path, spec), = args.items()
        text, boost = (spec["query"], spec.get("boost", 1.0)) if isinstance(spec, dict) else (spec, 1.0)
        want = text.split()
        have = _tokens(doc, path, mappings)
        return boost if any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1)) else None
    if kind == "range":
        (path, bounds), = args.items()
        values = [_date(v) for v in _values(_field(doc, path))]
        if not values:
            return None
        v = values[0]
        ok = ("gte" not in bounds or v >= _date(bounds["gte"])) and ("lte" not in bounds or v <= _date(bounds["lte"]))
        return 0.0 if ok else None
    if kind == "bool":
        score = 0.0
        for clause in args.get("must", []):
            s = evaluate(clause, doc, mappings, doc_id)
            if s is None:
                return None
            score += s
        for clause in args.get("filter", []):
            if evaluate(clause, doc, mappings, doc_id) is None:
                return None
        for clause in args.get("must_not", []):
            if evaluate(clause, doc, mappings, doc_id) is not None:
                return None
        should = args.get("should", [])
        matched = [s for s in (evaluate(c, doc, mappings, doc_id) for c in should) if s is not None]
        default_msm = 0 if (args.get("must") or args.get("filter")) else (1 if should else 0)
        if len(matched) < int(args.get("minimum_should_match", default_msm)):
            return None
        return score + sum(matched)
    raise QueryError(f"fake ES does not evaluate [{kind}] queries")


# -- sorting ---------------------------------------------------------------------------------

def _sort_field(spec: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(spec, str):
        return spec, {"order": "desc" if spec == "_score" else "asc"}
    (name, opts), = spec.items()
    return name, ({"order": opts} if isinstance(opts, str) else dict(opts))


def sort_hits(hits: list[dict[str, Any]], sort: list[Any] | None) -> list[dict[str, Any]]:
    """Hits in ``sort`` order (default: score, then _id as a stand-in for Lucene's doc order);
    each hit gets ``_sort``, the values ES returns as ``sort``. A missing value goes last unless
    ``missing: _first``."""
    specs = [_sort_field(s) for s in (sort or [])] or [("_score", {"order": "desc"})]
    for hit in hits:
        values = []
        for name, _ in specs:
            if name == "_score":
                values.append(hit["_score"])
            elif name == "_id":
                values.append(hit["_id"])
            else:
                got = _values(_field(hit["_source"], name))
                value = got[0] if got else None
                if value is not None and isinstance(value, str) and _is_date_field(name):
                    value = int(_date(value).timestamp() * 1000)  # ES sorts (and returns) dates as epoch millis
                values.append(value)
        hit["_sort"] = values
    ordered = sorted(hits, key=lambda h: h["_id"])
    for i in reversed(range(len(specs))):  # stable sorts, last key first
        name, opts = specs[i]
        desc = opts.get("order", "asc") == "desc"
        first = opts.get("missing") == "_first"
        present = [h for h in ordered if h["_sort"][i] is not None]
        absent = [h for h in ordered if h["_sort"][i] is None]
        present.sort(key=lambda h: h["_sort"][i], reverse=desc)
        ordered = absent + present if first else present + absent
    return ordered


def _is_date_field(name: str) -> bool:
    return name in ("date", "published_at", "fetched_at", "modified_at", "published_local")


# -- aggregations ----------------------------------------------------------------------------

def aggregate(spec: dict[str, Any], docs: list[dict[str, Any]], mappings: dict[str, Any]) -> dict[str, Any]:
    """One aggregation over the matching documents, in ES's response shape (same in 8.x and 9.x):
    ``filter`` → doc_count; ``terms`` → doc_count_error_upper_bound, sum_other_doc_count,
    buckets by doc_count desc then key asc; ``date_histogram`` → buckets by key (epoch millis)
    with key_as_string, empty buckets between the first and last unless min_doc_count > 0."""
    subs = spec.get("aggs") or spec.get("aggregations") or {}
    kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
    if len(kinds) != 1:
        raise AggregationError(f"Expected one aggregation type, got {kinds}")
    kind = kinds[0]
    args = spec[kind]

    def nested(selected: list[dict[str, Any]]) -> dict[str, Any]:
        return {name: aggregate(sub, selected, mappings) for name, sub in subs.items()}

    if kind == "filter":
        selected = [d for d in docs if evaluate(args, d, mappings, d.get("id")) is not None]
        return {"doc_count": len(selected), **nested(selected)}
    if kind == "terms":
        field_name = args["field"]
        if _spec(mappings, field_name).get("type") == "text":
            raise AggregationError(f"Fielddata is disabled on [{field_name}] in [newsmon]. Text fields are not "
                                   "optimised for operations that require per-document field data")
        groups: dict[Any, list[dict[str, Any]]] = {}
        for d in docs:
            values = _values(_field(d, field_name))
            if not values and "missing" in args:
                values = [args["missing"]]
            for v in dict.fromkeys(values):
                groups.setdefault(v, []).append(d)
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        size = int(args.get("size", 10))
        kept, rest = ranked[:size], ranked[size:]
        return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": sum(len(v) for _, v in rest),
                "buckets": [{"key": k, "doc_count": len(v), **nested(v)} for k, v in kept]}
    if kind == "date_histogram":
        interval = args.get("calendar_interval") or args.get("fixed_interval")
        if interval not in ("day", "1d", "24h"):
            raise AggregationError(f"fake ES: date_histogram interval [{interval}] is not implemented")
        if "interval" in args:
            raise AggregationError("[interval] on [date_histogram] is removed: use calendar_interval")
        by_day: dict[int, list[dict[str, Any]]] = {}
        for d in docs:
            values = _values(_field(d, args["field"]))
            if values:
                ms = int(_date(values[0]).timestamp() * 1000)
                by_day.setdefault(ms - ms % DAY_MS, []).append(d)
        keys = sorted(by_day)
        minimum = int(args.get("min_doc_count", 0))
        if keys and minimum == 0:
            keys = list(range(keys[0], keys[-1] + DAY_MS, DAY_MS))
        fmt = args.get("format")
        buckets = []
        for key in keys:
            members = by_day.get(key, [])
            if len(members) < minimum:
                continue
            moment = datetime.fromtimestamp(key / 1000, timezone.utc)
            text = moment.strftime("%Y-%m-%d") if fmt == "yyyy-MM-dd" else moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            buckets.append({"key_as_string": text, "key": key, "doc_count": len(members), **nested(members)})
        return {"buckets": buckets}
    raise AggregationError(f"Unknown aggregation type [{kind}] (fake ES implements filter, terms, date_histogram)")


# -- highlighting ----------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…]\s+")


def _standard_tokens(text: str) -> list[tuple[str, int, int]]:
    """Elasticsearch's ``standard`` analyzer, closely enough for highlighting: Unicode words, lowercased."""
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _highlight_spans(query: dict[str, Any], field_name: str, tokens: list[tuple[str, int, int]]) -> set[tuple[int, int]]:
    (kind, args), = query.items()
    if kind == "bool":
        out: set[tuple[int, int]] = set()
        for key in ("must", "should", "filter"):
            for clause in args.get(key, []):
                out |= _highlight_spans(clause, field_name, tokens)
        return out
    if kind not in ("match", "match_phrase", "prefix", "term"):
        raise QueryError(f"fake ES highlights [match], [match_phrase], [prefix] and [term] only, not [{kind}]")
    (path, spec), = args.items()
    if path != field_name:  # require_field_match (the default): other fields light up nothing here
        return set()
    value = spec.get("query", spec.get("value")) if isinstance(spec, dict) else spec
    words = [t for t, _, _ in _standard_tokens(str(value))]
    if kind == "prefix":
        return {(s, e) for t, s, e in tokens if t.startswith(str(value))}
    if kind in ("match", "term"):
        return {(s, e) for t, s, e in tokens if t in words}
    n = len(words)
    return {(tokens[i][1], tokens[i + n - 1][2]) for i in range(len(tokens) - n + 1)
            if n and [t for t, _, _ in tokens[i:i + n]] == words}


def highlight(spec: dict[str, Any], doc: dict[str, Any], mappings: dict[str, Any]) -> dict[str, list[str]]:
    """The ``highlight`` object of one hit: for each requested field, the best fragment(s) with the
    matches between ``pre_tags``/``post_tags`` (default <em>), text otherwise returned as is
    (``encoder: default``); with no match, ``no_match_size`` characters from the start (0: the
    field is left out, as ES does)."""
    out: dict[str, list[str]] = {}
    for field_name, opts in (spec.get("fields") or {}).items():
        opts = {**{k: v for k, v in spec.items() if k != "fields"}, **(opts or {})}
        if opts.get("encoder", "default") not in ("default", "html"):
            raise QueryError(f"Unknown encoder [{opts['encoder']}]")
        query = opts.get("highlight_query")
        if query is None:
            raise QueryError("fake ES highlights with a highlight_query only")
        if _spec(mappings, field_name).get("type") != "text":
            continue
        text = " ".join(str(v) for v in _values(_field(doc, field_name)))
        pre, post = (opts.get("pre_tags") or ["<em>"])[0], (opts.get("post_tags") or ["</em>"])[0]
        size = int(opts.get("fragment_size", 100))
        limit = int(opts.get("max_analyzed_offset", -1))
        if limit == 0 or limit < -1:
            raise QueryError(f"[max_analyzed_offset] must be a positive integer, or -1, was [{limit}]")
        # the index setting (1,000,000) prevails when lower; past the limit nothing lights up
        analyzed = text if limit == -1 else text[:min(limit, 1_000_000)]
        if limit == -1 and len(text) > 1_000_000:
            raise QueryError(f"The length of [{field_name}] field has exceeded [1000000] - maximum allowed "
                             "to be analyzed for highlighting")
        spans = sorted(_highlight_spans(query, field_name, _standard_tokens(analyzed)))
        if not spans:
            no_match = int(opts.get("no_match_size", 0))
            if no_match and text:
                cut = text[:no_match]
                if len(text) > no_match and " " in cut:
                    cut = cut[:cut.rindex(" ")]
                out[field_name] = [cut]
            continue
        # the sentence with the most matches (the unified highlighter's passages), cut to the size
        starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
        bounds = [(st, _next(starts, st, len(text))) for st in starts]
        best, stop = max(bounds, key=lambda b: (sum(1 for s, _ in spans if b[0] <= s < b[1]), -b[0]))
        first = next(s for s, _ in spans if s >= best)
        if first + 10 > best + size:  # a long sentence: start shortly before its first match
            best = max(best, first - 40)
            while best > 0 and not text[best - 1].isspace():
                best -= 1
        end = min(stop, best + size)
        while end < min(stop, len(text)) and not text[end - 1].isspace():
            end += 1
        pieces, pos = [], best
        for s, e in spans:
            if s < best or e > end:
                continue
            pieces.append(text[pos:s] + pre + text[s:e] + post)
            pos = e
        pieces.append(text[pos:end])
        out[field_name] = ["".join(pieces).strip()]
    return out


def _next(starts: list[int], start: int, length: int) -> int:
    later = [s for s in starts if s > start]
    return later[0] if later else length
