"""Pages whose declared charset is wrong still come out as the text their authors wrote."""

from __future__ import annotations

import pytest

from pipelines.html import decode_html

RU = ("<html><head><meta charset=\"{decl}\"><title>Казахстан и Марокко</title></head><body>"
      "<p>Делегация Казахстана прибыла в Марокко для переговоров о поставках пшеницы и удобрений.</p></body></html>")
AR = ("<html><head><meta charset=\"{decl}\"><title>المغرب</title></head><body>"
      "<p>وقعت المملكة المغربية وجمهورية كازاخستان اتفاقية للتعاون في مجال الحبوب والأسمدة.</p></body></html>")


@pytest.mark.parametrize(("page", "real", "header"), [
    (RU, "cp1251", "text/html; charset=utf-8"),         # a template claiming UTF-8 over cp1251 text
    (AR, "cp1256", "text/html; charset=UTF-8"),         # … over windows-1256 text
    (AR, "utf-8", "text/html; charset=windows-1256"),   # a proxy stamping a legacy charset on UTF-8
    (RU, "utf-8", "text/html"),                          # <meta> says cp1251, the bytes are UTF-8
    (AR, "cp1256", "text/html"),                         # honest declarations still win
    (RU, "cp1251", "text/html; charset=windows-1251"),
])
def test_lying_or_honest_declarations(page: str, real: str, header: str) -> None:
    meta = "windows-1251" if page is RU and real == "utf-8" else ("windows-1256" if real == "cp1256" else real)
    html = page.format(decl=meta if "charset" not in header else "utf-8")
    text = decode_html(html.encode(real), header)
    expected = "Делегация Казахстана прибыла" if page is RU else "وقعت المملكة المغربية وجمهورية كازاخستان"
    assert expected in text
    assert "\ufffd" not in text
