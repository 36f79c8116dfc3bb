"""Crawled text is untrusted: nothing in it may drive the terminal or inject markup."""

from __future__ import annotations

from newsmon.commands.common import printable


def test_printable_drops_controls_and_bidi_overrides_keeps_text() -> None:
    evil = "Maroc\x1b[2J\x1b]0;pwned\x07 \u202eKazakhstan\u202c\tok\nسطر"
    assert printable(evil) == "Maroc[2J]0;pwned Kazakhstan\tok\nسطر"
    assert printable(None) == "" and printable(42) == "42"
    assert printable("وكازاخستان\u200c") == "وكازاخستان\u200c"  # ZWNJ shapes Persian/Arabic text: kept


def test_control_characters_in_a_page_neither_cost_the_body_nor_reach_the_title() -> None:
    from pipelines.extract import extract

    junk = " \x1b[31m\x07"
    paras = "".join(f"<p>Le Maroc et le Kazakhstan{junk if i == 3 else ''} ont signé l'accord numéro {i}. "
                    "Les deux pays renforcent leurs liens économiques et culturels depuis des années.</p>"
                    for i in range(8))
    html = f"<html lang=fr><head><title>Accord \x1b]0;x\x07signé - Site</title></head><body><article><h1>Accord \x1b]0;x\x07signé</h1>{paras}</article></body></html>"
    got = extract(html, "https://atlas.example/a")
    assert got.title == "Accord ]0;xsigné"
    assert len(got.text) > 800 and "\x1b" not in got.text and "\x07" not in got.text


def test_separator_controls_become_spaces_not_glue() -> None:
    from pipelines.html import strip_controls

    assert strip_controls("فقرة\x0bسطر\x0cتالي\x85end\x1b[0m") == "فقرة سطر تالي end[0m"
    assert strip_controls("mark\u200fed\u200e") == "mark\u200fed\u200e"  # RLM/LRM are text, not controls
