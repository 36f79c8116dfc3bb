"""`newsmon export`: every stored article as JSONL or CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

from newsmon.commands.common import (csv_cell, data_option, date_option_value, default_data_dir, json_text, output_file,
                                     user_errors)
from newsmon.store import Store

EXPORT_FIELDS = ["id", "url", "canonical_url", "source", "title", "text", "lang", "author", "image",
                 "published_at", "published_utc", "modified_at", "date_source", "fetched_at", "relevant", "topics",
                 "matched_terms", "relevance_score", "discovered_via", "story_id"]


@click.command("export")
@data_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--since", default=None, callback=date_option_value,
              help="Only articles published (or fetched) on or after this date (YYYY-MM-DD).")
@click.option("--excel", is_flag=True,
              help="CSV for spreadsheets: starts with a UTF-8 byte order mark, so Arabic and Cyrillic open right.")
@click.option("-o", "--output", default="-", metavar="FILE",
              help="Output file (default stdout), replaced only once the export is complete.")
@user_errors
def export(data_dir: Path | None, fmt: str, since: str | None, excel: bool, output: str) -> None:
    """Export stored articles, one per line (JSONL) or row (CSV, topics/matched_terms as JSON).

    CSV cells are formula-safe: a cell that starts with =, +, -, @, a tab or a carriage return
    (a crawled title can) gets a leading ' so that no spreadsheet runs it as a formula. In JSONL,
    bidi and C1 controls are written as \\u escapes.

    Example: newsmon export --format csv --since 2025-01-01 -o articles.csv
    """
    if excel and fmt != "csv":
        raise click.UsageError("--excel applies to --format csv")
    # the file first: a path that cannot be written is one line (exit 2) before the store is read
    with output_file(output) as out, Store(data_dir or default_data_dir(), readonly=True) as store:
        if fmt == "jsonl":
            for article in store.iter_articles(since=since):
                out.write(json_text({k: article.get(k) for k in EXPORT_FIELDS}) + "\n")
        else:
            if excel:
                out.write("\ufeff")
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for article in store.iter_articles(since=since):
                row = {k: article.get(k) for k in EXPORT_FIELDS}
                row["topics"] = json.dumps(row["topics"], ensure_ascii=False)
                row["matched_terms"] = json.dumps(row["matched_terms"], ensure_ascii=False)
                writer.writerow({k: csv_cell(v) for k, v in row.items()})
