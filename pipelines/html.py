"""Page bytes → text → one parsed tree: the only place newsmon decodes or parses a page.

Every stage that reads markup (extraction, overrides, dates) takes the tree parsed here, once
per page (:func:`pipelines.page.process_page`); the spider and ``newsmon extract`` use the same
:func:`is_html` to decide whether a response is a page at all.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, document_fromstring
from w3lib.encoding import html_to_unicode

PARSER = HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)
# Every element is a plain HtmlElement, looked up in C. lxml.html's own lookup picks form and
# input classes per tag in Python, once for every element object made: thousands per page,
# paid again by each pass over the tree (cleaning, trafilatura's copies, dates). Nothing here
# uses the form classes' extra methods.
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))

# A bot wall or consent wall rather than the page (the spider's retry test and extraction's wall
# test): here, not in pipelines.extract, so the spider has it without importing trafilatura.
CHALLENGE = re.compile(
    r"just a moment|attention required|checking your browser|verify you are human|are you a robot|"
    r"enable javascript and cookies|ddos protection|cf-browser-verification|cf-chl|challenge-form|"
    r"g-recaptcha|h-captcha|hcaptcha|captcha-delivery|"
    r"before you continue|avant de continuer|prima di continuare|antes de continuar|прежде чем продолжить|"
    r"we value your privacy|nous respectons votre vie privée|consent-wall|consent_wall|cookie-wall|cookiewall",
)  # lower-case, searched in lower-cased text: 8x cheaper than re.I over a page's markup

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Served as something else but often a page all the same (misconfigured servers, local files).
MAYBE_HTML_TYPES = ("", "text/plain", "application/octet-stream", "application/xml", "text/xml")
BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"RIFF", b"OggS", b"ID3")


def looks_binary(body: bytes) -> bool:
    """Known binary signatures, or NUL bytes early on (UTF-16 pages start with a BOM, handled)."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a response is an HTML page: by its declared type, or for vague types by its start."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in HTML_TYPES:
        return not looks_binary(body)
    if kind in MAYBE_HTML_TYPES:
        if looks_binary(body):
            return False
        head = body[:1024].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            return True
        # Saved pages and sloppy templates start with a <style> or <script> block before <html>,
        # or have no <html> at all: markup that opens with a tag and has a <body> or <head> is a page.
        return head.startswith(b"<") and bool(_PAGE_TAG.search(body[:MARKUP_PROBE_BYTES]))
    return False


MARKUP_PROBE_BYTES = 256_000
_PAGE_TAG = re.compile(rb"<(?:html|head|body)[\s>]", re.I)


# -- decoding -----------------------------------------------------------------------------------
def _detect(body: bytes) -> str | None:
    """Encoding guess for pages that declare none: UTF-8 if it decodes, else charset-normalizer."""
    sample = body[:200_000]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start > len(sample) - 4:
            return "utf-8"  # cut in the middle of a multi-byte character
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str | None) -> str:
    """Page bytes → text: BOM, then the HTTP charset, then ``<meta charset>``, then detection.

    Declared charsets win over detection on purpose: detection misreads short windows-1256 or
    cp1251 pages as other single-byte code pages, declarations are rarely wrong.
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    better = _undeclared_truth(encoding, body, text)
    if better:
        text = body.decode(better, errors="replace")
    return strip_controls(text)


def _undeclared_truth(declared: str, body: bytes, text: str) -> str | None:
    """The real encoding when the declared one is plainly wrong, else None.

    Sites do lie: a CMS template says utf-8 over windows-1256 content, or a proxy adds
    ``charset=windows-1256`` to a UTF-8 page. Two cheap, safe tells: non-ASCII bytes that form
    valid UTF-8 are UTF-8 (single-byte text almost never does), and a decode that produced
    replacement characters throughout was the wrong code page.
    """
    declared = (declared or "").lower().replace("_", "-")
    if declared not in ("utf-8", "utf8"):
        sample = body[:200_000]
        if any(b >= 0x80 for b in sample):
            try:
                sample.decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError as err:
                if err.start > len(sample) - 4:
                    return "utf-8"
        return None
    bad = text.count("\ufffd")
    if bad > max(3, len(text) // 200):
        guess = _detect(body)
        return guess if guess and guess.lower() not in ("utf-8", "utf8") else None
    return None


# C0 controls (but tab, newline, carriage return) and C1 controls have no place in a page's
# text; worse, lxml stops at some of them and trafilatura then returns an empty body, so a
# single stray ESC or BEL in a CMS export cost the whole article.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


_SEPARATORS = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")  # Word's soft break, FF, NEL…: spaces, not glue


_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same 62 characters one by one: `ch in text` is a C-speed scan (memchr on a Latin-1 page),
# and 62 of them cost a sixth of one regex search over a 100 KB ASCII page, half on an Arabic one.
_CONTROL_CHARS = tuple(chr(c) for c in range(0xa0) if _ANY_CONTROL.match(chr(c)))


def strip_controls(text: str) -> str:
    # regexes, not str.translate: translate with a mapping walks a 100 KB page char by char;
    # one scan first, since nearly every page has none
    if not any(ch in text for ch in _CONTROL_CHARS):
        return text
    return _CONTROLS.sub("", _SEPARATORS.sub(" ", text))



_XML_DECLARATION = re.compile(r"\s*<\?xml[^>]*>")


def parse(html: str, *, decoded: bool = False) -> HtmlElement | None:
    """Lenient lxml parse; None when the text holds no markup at all. ``decoded``: the text
    comes from :func:`decode_html`, which already removed the control characters."""
    html = html.lstrip("\ufeff") if decoded else strip_controls(html.lstrip("\ufeff"))
    if not re.search(r"<[a-zA-Z!/]", html[:100_000]):
        return None
    if _XML_DECLARATION.match(html):  # lxml refuses str input with an encoding declaration
        html = _XML_DECLARATION.sub("", html, count=1)
    try:
        return document_fromstring(html, parser=PARSER)
    except (etree.ParserError, ValueError):
        return None
