"""Crawled text is untrusted: nothing in it may drive the terminal or inject markup."""

from __future__ import annotations

from crawler.commands.common import printable


def test_printable_drops_controls_and_bidi_overrides_keeps_text() -> None:
    evil = "Maroc\x1b[2J\x1b]0;pwned\x07 \u202eKazakhstan\u202c\tok\nسطر"
    assert printable(evil) == "Maroc[2J]0;pwned Kazakhstan\tok\nسطر"
    assert printable(None) == "" and printable(42) == "42"
    assert printable("وكازاخستان\u200c") == "وكازاخستان\u200c"  # ZWNJ shapes Persian/Arabic text: kept
