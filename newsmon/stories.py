"""Stories: syndicated copies of one dispatch share a ``story_id``.

Runs after articles are stored (after a crawl, and at the start of every alert pass), over the
articles that have no signature yet or whose text changed since it was taken. For each one, in
the order they were first seen, :mod:`pipelines.stories` computes a MinHash signature; the LSH
bands stored in SQLite (``story_bands``) give the earlier articles that may be copies, their
stored signatures confirm it (estimated Jaccard >= ``THRESHOLD``), and the article joins the
story of the most similar one. Otherwise it starts a story of its own, whose id is its own
article id. The LSH state lives in SQLite, so a copy crawled a week later, by another process,
still finds the original.

A story id never changes once given, even when an article's text is later edited: an alert
already sent named it.
"""

from __future__ import annotations

import functools
from itertools import chain
from typing import Any

from newsmon.store import Store, iso_utc, utcnow

BATCH = 500
MAX_CANDIDATES = 25
KNOWN_STORIES = 10_000  # stories given in a pass kept for its candidates (~1.5 MiB), then forgotten


class _Sketches:
    """:mod:`pipelines.stories`, imported at the first signature taken or read: with it come numpy
    and rensa (~70 ms of CPU), which a crawl that stored nothing (most scheduled polls) and
    ``newsmon search`` (for ``story_members``) never need. Each name is kept after its first use."""

    def __getattr__(self, name: str) -> Any:
        from pipelines import stories

        value = getattr(stories, name)
        setattr(self, name, value)
        return value


sketch = _Sketches()


# Answered from the index articles_story_pending (migration 260) and story_signatures' key,
# without reading the articles themselves (their texts): see that migration.
# The index also holds what linking needs of each article besides its text (content hash,
# story): the text is read only for an article whose signature was not taken at indexing.
PENDING_SQL = ("SELECT a.id, a.content_hash, a.story_id FROM articles a "
               "LEFT JOIN story_signatures s ON s.article_id = a.id "
               "WHERE s.article_id IS NULL OR s.content_hash IS NOT a.content_hash OR a.story_id IS NULL "
               "ORDER BY a.first_seen_at, a.id")


def pending(store: Store) -> list[tuple[str, str | None, str | None]]:
    """(id, content hash, story) of the articles with no signature yet, or whose text changed
    since theirs was taken, first seen first."""
    return store.db.execute(PENDING_SQL).fetchall()


def sketches_to_keep(store: Store, articles: dict[str, dict[str, Any]],
                     words: dict[str, list[str]]) -> list[tuple[str, str, bytes | None]]:
    """Story signatures of just-indexed articles, from the index's language-neutral words, for
    the articles the next linking pass will take (no signature yet for this content); rows for
    :meth:`Store.save_sketches`."""
    ids = [i for i in words if articles[i].get("content_hash")]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    done = {r[0] for r in store.db.execute(
        f"SELECT s.article_id FROM story_signatures s JOIN articles a ON a.id = s.article_id "
        f"WHERE s.article_id IN ({marks}) AND s.content_hash IS a.content_hash AND a.story_id IS NOT NULL", ids)}
    rows = []
    for article_id in ids:
        if article_id not in done:
            sig = sketch.signature_of(words[article_id])
            rows.append((article_id, articles[article_id]["content_hash"], sketch.to_bytes(sig) if sig is not None else None))
    return rows


def assign_pending(store: Store) -> int:
    """Give every pending article a story; returns how many were (re)assigned."""
    rows = pending(store)
    if not rows:
        return 0
    shape = sketch.lsh_shape()
    known: dict[str, str] = {}  # article → story given in this pass (a story id never changes once given)
    for start in range(0, len(rows), BATCH):
        part = rows[start:start + BATCH]
        chunk = [r[0] for r in part]
        marks = ",".join("?" * len(chunk))
        # still stored (another process may have deleted one since): from the primary key's index
        present = {r[0] for r in store.db.execute(f"SELECT id FROM articles WHERE id IN ({marks})", chunk)}
        articles = {i: {"id": i, "content_hash": h, "story_id": story} for i, h, story in part if i in present}
        kept = {r[0]: (r[1], r[2]) for r in store.db.execute(
            f"SELECT article_id, content_hash, signature FROM story_sketches WHERE article_id IN ({marks})", chunk)}
        # the text, for the articles whose signature was not taken at indexing (or not of this text)
        unsigned = [i for i, h, _ in part if i in present and (h is None or kept.get(i, (None,))[0] != h)]
        if unsigned:  # at most BATCH: a part of this chunk
            for article_id, text in store.db.execute(
                    f"SELECT id, text FROM articles WHERE id IN ({','.join('?' * len(unsigned))})", unsigned):
                articles[article_id]["text"] = text
        # bands are written with a signature row, in one transaction: an article without one
        # (most pending articles: new ones) has no bands to delete
        signed = {r[0] for r in store.db.execute(
            f"SELECT article_id FROM story_signatures WHERE article_id IN ({marks})", chunk)}
        with store.transaction() as db:
            for article_id in chunk:
                if article_id in articles:
                    _assign(db, articles[article_id], shape, kept.get(article_id), article_id in signed, known)
            db.execute(f"DELETE FROM story_sketches WHERE article_id IN ({marks})", chunk)
        if len(known) > KNOWN_STORIES:  # a pass over a whole store: read older ones from the table again
            known.clear()
    return len(rows)


def _signature(article: dict[str, Any], kept: tuple[str, bytes | None] | None) -> sketch.Signature | None:
    """The article's signature: the one taken at indexing if its content is still the same, else
    from the text."""
    if kept is not None and article.get("content_hash") is not None and kept[0] == article["content_hash"]:
        return sketch.from_bytes(kept[1]) if kept[1] is not None else None
    return sketch.signature(article.get("text") or "")


def _assign(db: Any, article: dict[str, Any], shape: tuple[int, int],
            kept: tuple[str, bytes | None] | None = None, signed: bool = True,
            known: dict[str, str] | None = None) -> str:
    sig = _signature(article, kept)
    story = article.get("story_id")
    if signed:
        db.execute("DELETE FROM story_bands WHERE article_id = ?", (article["id"],))
    if sig is not None:
        keys = sketch.band_keys(sig, shape)
        if story is None:
            story = _best_match(db, article["id"], sig, keys, known)
        db.executemany("INSERT OR IGNORE INTO story_bands (band, key, article_id) VALUES (?, ?, ?)",
                       [(band, key, article["id"]) for band, key in keys])
    story = story or article["id"]
    db.execute(
        "INSERT INTO story_signatures (article_id, content_hash, signature, assigned_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(article_id) DO UPDATE SET content_hash = excluded.content_hash, "
        "signature = excluded.signature, assigned_at = excluded.assigned_at",
        (article["id"], article.get("content_hash"), sketch.to_bytes(sig) if sig is not None else None,
         iso_utc(utcnow())),
    )
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story, article["id"]))
    if known is not None:
        known[article["id"]] = story
    return story


def _best_match(db: Any, article_id: str, sig: Any, keys: list[tuple[int, bytes]],
                known: dict[str, str] | None = None) -> str | None:
    """The story of the most similar earlier article among the LSH candidates, if similar enough.
    Candidates sharing the most bands are checked first, at most ``MAX_CANDIDATES`` of them: in a
    story of hundreds of copies, the closest few decide.

    SQLite counts the shared bands and ranks the candidates in one query: a band bucket grows
    with the store (texts sharing stock phrases fall in the same buckets), and counting it row
    by row in Python made linking cost grow with the number of stored articles.

    ``known``: stories given earlier in this pass, by article. A candidate's story is read from
    ``articles`` only when it is not there: ``story_id``, added last to a row that holds the
    text, is read past the text's overflow pages."""
    ranked = [row[0] for row in db.execute(
        _candidates_sql(len(keys)), [*chain.from_iterable(keys), article_id, MAX_CANDIDATES])]
    if not ranked:
        return None
    known = {} if known is None else known
    marks = ",".join("?" * len(ranked))
    signed = db.execute(f"SELECT article_id, signature FROM story_signatures "
                        f"WHERE article_id IN ({marks}) AND signature IS NOT NULL", ranked).fetchall()
    unknown = [cand for cand, _ in signed if cand not in known]
    read: dict[str, str] = {}
    if unknown:
        read = dict(db.execute(f"SELECT id, story_id FROM articles WHERE id IN ({','.join('?' * len(unknown))}) "
                               "AND story_id IS NOT NULL", unknown).fetchall())
    rows = [(cand, blob, known.get(cand) or read[cand]) for cand, blob in signed if cand in known or cand in read]
    best: tuple[float, str, str] | None = None
    scores = sketch.similarities_to_stored(sig, [blob for _, blob, _ in rows])
    for (cand, _, story), score in zip(rows, scores):
        if score >= sketch.THRESHOLD and (best is None or (score, cand) > (best[0], best[1])):
            best = (score, cand, story)
    return best[2] if best else None


@functools.lru_cache(maxsize=4)
def _candidates_sql(bands: int) -> str:
    values = ",".join("(?, ?)" for _ in range(bands))
    return (f"SELECT b.article_id FROM (VALUES {values}) AS k "
            "JOIN story_bands b ON b.band = k.column1 AND b.key = k.column2 WHERE b.article_id != ? "
            "GROUP BY b.article_id ORDER BY COUNT(*) DESC, b.article_id LIMIT ?")


def story_members(store: Store, story_id: str) -> list[dict[str, Any]]:
    """Every stored article of a story, first seen first."""
    rows = store.db.execute("SELECT id FROM articles WHERE story_id = ? ORDER BY first_seen_at, id",
                            (story_id,)).fetchall()
    found = store.get_articles([r[0] for r in rows])
    return [found[r[0]] for r in rows if r[0] in found]
