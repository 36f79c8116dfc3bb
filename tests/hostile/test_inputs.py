"""Hostile inputs a user may be handed: a YAML alias bomb or an oversized config file (Medium 7),
a query nested 900 parentheses deep (Low). One line, exit 2, bounded memory."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import run_measured


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "sources:\n  - name: bomb\n    language: en\n    feeds: [http://x.example/feed]\n" + \
        "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(), encoding="utf-8")  # 9^9 = 387 million strings once expanded
    good = tmp_path / "sources.yaml"
    good.write_text("sources:\n  - name: ok\n    language: en\n    feeds: [http://x.example/feed]\n", encoding="utf-8")
    for option, other in (("--sources", []), ("--topics", ["--sources", str(good)])):
        out = run_measured("crawl", option, str(bomb), *other, "--data", str(tmp_path / "d"), tmp=tmp_path,
                           deadline=60)
        assert not out.killed, f"{option}: still expanding after 60 s"
        assert out.code == 2, (option, out.stderr[-500:])
        assert "Traceback" not in out.stderr
        assert "alias bomb" in out.stderr and f"{bomb}:" in out.stderr, out.stderr
        assert out.peak_rss_mb < 400, out.peak_rss_mb
    assert not (tmp_path / "d").exists()  # refused before anything was written


def test_an_oversized_config_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "sources.yaml"
    big.write_text("sources: []\n" + "# padding\n" * 600_000, encoding="utf-8")
    out = run_newsmon("crawl", "--sources", str(big), "--data", str(tmp_path / "d"))
    assert out.code == 2 and "larger than 5 MB" in out.stderr and "Traceback" not in out.stderr


def test_a_query_nested_900_deep_is_a_one_line_error(tmp_path: Path) -> None:
    out = run_newsmon("search", "(" * 900 + "maroc" + ")" * 900, "--data", str(tmp_path / "d"))
    # no store yet: the query is judged before the data dir is opened, or the data dir error comes first
    assert "Traceback" not in out.stderr and out.code == 2, out.stderr[-500:]
    from newsmon.query import QueryError, parse

    try:
        parse("(" * 900 + "maroc" + ")" * 900)
    except QueryError as exc:
        assert "nested more than 40 deep" in str(exc)
    else:
        raise AssertionError("a 900-deep query must be refused")
    assert parse("(" * 10 + "maroc" + ")" * 10) is not None


def _topics(term: str) -> str:
    return ("topics:\n  - name: mk\n    concepts:\n      - name: Morocco\n        terms:\n"
            f"          fr: [Maroc, {term!r}]\n      - name: Kazakhstan\n        terms:\n          fr: [Kazakhstan]\n")


def test_regex_like_topic_terms_are_refused_at_load_with_the_way_to_write_them(tmp_path: Path) -> None:
    """Low: a term such as ``Maroc|Kazakh.*`` was silently read as the phrase "maroc kazakh"
    (and ``[Rr]abat`` as "rr abat"). It is refused, in one line naming file, line and term and
    saying how to write it, by every command that loads topics (exit 2); nothing is fetched or
    written. Ordinary punctuation (St. Petersburg, Nur-Sultan, l'Ouzbékistan) stays text."""
    from newsmon.config import load_topics
    from newsmon.yamlconf import ConfigError
    from tests.hostile.pages import article
    from tests.hostile.server import Reply, serving

    cases = {"Maroc|Kazakh.*": "list each alternative as its own term: Maroc, Kazakh",
             "[Rr]abat": "write the word once: Rabat",
             "(Astana)": "write the words alone: Astana",
             "Kazakh*": "list the whole words you want"}
    for i, (term, advice) in enumerate(cases.items()):
        topics = tmp_path / f"topics{i}.yaml"
        topics.write_text(_topics(term), encoding="utf-8")
        try:
            load_topics(topics)
        except ConfigError as err:
            assert f"{topics}:5:" in str(err) and repr(term) in str(err) and advice in str(err), str(err)
        else:
            raise AssertionError(f"{term!r} was accepted")
    page = tmp_path / "page.html"
    page.write_bytes(article(1))
    with serving(lambda path, query: Reply(article(1))) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"sources:\n  - name: s\n    language: fr\n    feeds: [{site.url}/feed.xml]\n", encoding="utf-8")
        for i, args in enumerate((("crawl", "--sources", str(sources), "--data", str(tmp_path / "d")),
                                  ("topics", "test", site.url + "/news/1.html"),
                                  ("topics", "test", str(page)),
                                  ("topics", "list"))):
            term = list(cases)[i]
            out = run_newsmon(*args, "--topics", str(tmp_path / f"topics{i}.yaml"))
            assert out.code == 2, (term, args[:2], out.stdout, out.stderr)
            (line,) = out.stderr.strip().splitlines()  # one line, no traceback
            assert f"topics{i}.yaml:5:" in line and repr(term) in line and "looks like a regular expression" in line, line
            assert cases[term] in line, line
        assert site.hits == []  # refused before anything was fetched
    assert not (tmp_path / "d").exists()  # nor written
    plain = tmp_path / "plain.yaml"
    plain.write_text(_topics("St. Petersburg").replace("[Kazakhstan]", "[Kazakhstan, Nur-Sultan, l'Ouzbékistan]"),
                     encoding="utf-8")
    assert [t.name for t in load_topics(plain)] == ["mk"]
