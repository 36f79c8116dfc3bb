"""Scheduled crawls: ``newsmon schedule`` runs every source on its own rhythm, each crawl in a child process.

* :mod:`.spec` parses a source's ``schedule`` text (imported by the config models, so it imports
  nothing else of newsmon);
* :mod:`.journal` is the scheduler's bookkeeping in the store (``schedule_runs`` and friends);
* :mod:`.service` is the APScheduler 3 service: persistent jobs in the same SQLite file, one child
  ``newsmon crawl`` per run, timeouts, signals and reloads;
* :mod:`.health` computes what ``newsmon status`` shows.
"""
