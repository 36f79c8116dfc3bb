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
