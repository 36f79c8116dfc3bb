"""`newsmon serve`: a read-only search page and JSON API over the stored articles, searched
through a ``newsmon.search_types.SearchBackend`` (the embedded index, or Elasticsearch when it
is configured).

``data`` reads what the pages show (articles, stories, runs, source health, alert rules and
deliveries) through the store opened read-only and the library functions the CLI uses;
``chart`` draws the mentions-over-time chart as plain SVG; ``app`` is the FastAPI application
(Jinja2 templates, autoescaped; static files served locally; a Content-Security-Policy that
forbids inline script; a token check when bound beyond loopback). Nothing here writes.
"""
