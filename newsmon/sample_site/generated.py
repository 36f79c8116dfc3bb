"""A generated news site: N distinct articles on many loopback hosts, for benchmarks and tests.

Articles are in Arabic, French and Italian, random but plausible sentences written here, each
mentioning Morocco and Kazakhstan, reproducible from their number. Each host (127.0.0.2,
127.0.0.3, …; Linux routes all of 127/8 to lo) lists its articles in a sitemap that its
robots.txt advertises. Used by ``benchmarks/crawl_vs_bare.py``, ``benchmarks/scale_out.py`` and
the frontier tests.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = [f"127.0.0.{i}" for i in range(2, 32)]  # the default 30 loopback hosts
LANGS = ("ar", "fr", "it")

# Sentence parts per language: subject, verb phrase, object, circumstance. Every article draws a
# fresh random combination (and numbers), so no two texts are alike and dedupe keeps them all.
WORDS = {
    "fr": {
        "subj": ["Le ministre marocain des Affaires étrangères", "Une délégation du Kazakhstan",
                 "Les entreprises marocaines", "Le président kazakh", "La chambre de commerce de Rabat",
                 "Les autorités d'Astana", "Un groupe d'investisseurs d'Almaty", "L'ambassade du Maroc"],
        "verb": ["a signé", "a présenté", "prépare", "a annoncé", "a examiné", "souhaite renforcer", "a évoqué"],
        "obj": ["un accord de coopération agricole", "un programme d'échanges universitaires",
                "une ligne aérienne directe", "un projet d'engrais phosphatés", "un forum économique",
                "une feuille de route sur l'énergie", "un mémorandum sur le tourisme"],
        "circ": ["entre le Maroc et le Kazakhstan", "lors d'une visite officielle à Astana",
                 "à Rabat ce mardi", "pour les trois prochaines années", "devant la presse",
                 "en marge du sommet régional", "avec le soutien des deux gouvernements"],
        "title": "Maroc et Kazakhstan : {obj} (dossier {n:05d})",
    },
    "it": {
        "subj": ["Il ministro degli Esteri marocchino", "Una delegazione del Kazakistan",
                 "Le imprese marocchine", "Il presidente kazako", "La camera di commercio di Rabat",
                 "Le autorità di Astana", "Un gruppo di investitori di Almaty", "L'ambasciata del Marocco"],
        "verb": ["ha firmato", "ha presentato", "prepara", "ha annunciato", "ha esaminato", "vuole rafforzare",
                 "ha discusso"],
        "obj": ["un accordo di cooperazione agricola", "un programma di scambi universitari",
                "un volo diretto", "un progetto sui fertilizzanti", "un forum economico",
                "una tabella di marcia sull'energia", "un memorandum sul turismo"],
        "circ": ["tra il Marocco e il Kazakistan", "durante una visita ufficiale ad Astana",
                 "a Rabat martedì", "per i prossimi tre anni", "davanti alla stampa",
                 "a margine del vertice regionale", "con il sostegno dei due governi"],
        "title": "Marocco e Kazakistan: {obj} (dossier {n:05d})",
    },
    "ar": {
        "subj": ["وزير الخارجية المغربي", "وفد من كازاخستان", "الشركات المغربية", "الرئيس الكازاخي",
                 "غرفة التجارة في الرباط", "السلطات في أستانا", "مجموعة من المستثمرين من ألماتي", "سفارة المغرب"],
        "verb": ["وقع", "قدم", "يعد", "أعلن", "درس", "يسعى إلى تعزيز", "ناقش"],
        "obj": ["اتفاقية للتعاون الفلاحي", "برنامجا للتبادل الجامعي", "خطا جويا مباشرا", "مشروعا للأسمدة",
                "منتدى اقتصاديا", "خارطة طريق للطاقة", "مذكرة تفاهم في السياحة"],
        "circ": ["بين المغرب وكازاخستان", "خلال زيارة رسمية إلى أستانا", "في الرباط يوم الثلاثاء",
                 "للسنوات الثلاث المقبلة", "أمام الصحافة", "على هامش القمة الإقليمية", "بدعم من الحكومتين"],
        "title": "المغرب وكازاخستان: {obj} (ملف {n:05d})",
    },
}


def article(n: int, lang: str) -> tuple[str, str]:
    """(title, paragraphs) of article ``n``: random but reproducible, distinct for every n.

    The number in the title is zero-padded: a title saying "(404)" is (rightly) taken for a
    soft 404 page by extraction's page-kind test."""
    rnd = random.Random(n * 7919 + 17)
    w = WORDS[lang]
    paragraphs = []
    for _ in range(rnd.randint(4, 7)):
        sentences = []
        for _ in range(rnd.randint(2, 4)):
            figure = rnd.choice((rnd.randint(2, 403), rnd.randint(405, 950)))  # a bare "404" reads as a soft 404
            sentences.append(f"{rnd.choice(w['subj'])} {rnd.choice(w['verb'])} {rnd.choice(w['obj'])} "
                             f"{rnd.choice(w['circ'])} ({figure}).")
        paragraphs.append(" ".join(sentences))
    return w["title"].format(obj=rnd.choice(w["obj"]), n=n), paragraphs


def page_html(n: int, lang: str, published: str) -> bytes:
    title, paragraphs = article(n, lang)
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    direction = ' dir="rtl"' if lang == "ar" else ""
    return (f'<!doctype html><html lang="{lang}"{direction}><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="article:published_time" content="{published}"></head><body>'
            f'<header><nav><a href="/">Home</a> <a href="/economy/">Economy</a> <a href="/world/">World</a></nav>'
            f'</header><main><article><h1>{title}</h1><time datetime="{published}">{published[:10]}</time>\n'
            f'{body}\n</article></main><footer><p>© Benchmark News {n % 30}</p></footer></body></html>').encode()


class Site:
    """``hosts`` loopback hosts × ``per_host`` articles on one threaded server bound to 0.0.0.0
    (port 0). Every request is recorded per host (monotonic time, path) in ``requests``, so a test
    can check the gaps a crawl left between two requests to one host."""

    def __init__(self, total: int, hosts: int = 30):
        if not 1 <= hosts <= 250:
            raise ValueError("1 to 250 loopback hosts (127.0.0.2 … 127.0.0.251)")
        self.hosts = [f"127.0.0.{i}" for i in range(2, 2 + hosts)]
        self.per_host = -(-total // hosts)
        self.total = total
        self.requests: dict[str, list[tuple[float, str]]] = {h: [] for h in self.hosts}
        self.lock = threading.Lock()
        self.published = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 15  # a kept-alive connection its client left open ends, and its socket is closed

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                host = (self.headers.get("Host") or "").split(":")[0]
                with site.lock:
                    if host in site.requests:
                        site.requests[host].append((time.monotonic(), self.path))
                status, ctype, body = site.serve(host, self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        # joined on close, each with its connection closed: nothing left to a later test's GC
        self.server.daemon_threads = False
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def articles_of(self, host_index: int) -> range:
        start = host_index * self.per_host
        return range(start, min(start + self.per_host, self.total))

    def serve(self, host: str, path: str) -> tuple[int, str, bytes]:
        if host not in self.hosts:
            return 404, "text/plain", b"no such host"
        h = self.hosts.index(host)
        base = f"http://{host}:{self.port}"
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode()
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}/news/{n}.html</loc><lastmod>{self.published}</lastmod></url>"
                           for n in self.articles_of(h))
            return 200, "application/xml", ('<?xml version="1.0" encoding="UTF-8"?>'
                                             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                             f"{urls}</urlset>").encode()
        if path.startswith("/news/") and path.endswith(".html"):
            n = int(path[6:-5])
            if n in self.articles_of(h):
                return 200, "text/html; charset=utf-8", page_html(n, LANGS[h % 3], self.published)
        return 404, "text/plain", b"not found"

    def sitemaps(self) -> list[str]:
        return [f"http://{h}:{self.port}/sitemap.xml" for h in self.hosts]

    def __enter__(self) -> "Site":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class SlowSite(Site):
    """The generated site, each article answered after ``latency`` seconds, counting per host the
    requests being answered at once (``max_active``). The frontier tests and the scale-out
    benchmark read from it whether a per-host concurrency limit held across workers."""

    def __init__(self, total: int, hosts: int = 30, latency: float = 0.0):
        super().__init__(total, hosts=hosts)
        self.latency = latency
        self.reset()

    def reset(self) -> None:
        """Forget what was recorded (between two runs on one server)."""
        with self.lock:
            self.requests = {h: [] for h in self.hosts}
            self.active = {h: 0 for h in self.hosts}
            self.max_active = {h: 0 for h in self.hosts}

    def serve(self, host: str, path: str) -> tuple[int, str, bytes]:
        if host not in self.active or not path.startswith("/news/"):
            return super().serve(host, path)
        with self.lock:
            self.active[host] += 1
            self.max_active[host] = max(self.max_active[host], self.active[host])
        try:
            if self.latency:
                time.sleep(self.latency)
            return super().serve(host, path)
        finally:
            with self.lock:
                self.active[host] -= 1
