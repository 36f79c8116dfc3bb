"""Elasticsearch (8.x and 9.x servers) and Kibana: the same search at cluster scale.

SQLite stays the store of record. Articles reach Elasticsearch through the outbox (a row is
marked ``es_synced_at`` only when Elasticsearch acknowledged that very document), so an outage
delays indexing and loses nothing. Modules:

* ``config``   where the cluster is (env / ``elasticsearch:`` block), secrets from env only
* ``client``   connect, read the server version, redact secrets from every message
* ``mapping``  template, analyzers (six built-in + a Kazakh one), percolator index, documents
* ``admin``    ``es setup`` / ``es migrate`` / ``es status``
* ``sync``     the outbox drained through ``helpers.streaming_bulk``, per-document outcomes
* ``dsl``      the query tree → Elasticsearch DSL (never a raw ``query_string``)
* ``search``   the search backend on Elasticsearch (``newsmon search``, the page, /api/search):
               same hits, totals and facets as the embedded index; aggregations and highlight
* ``percolate`` alert rules as percolator queries, articles percolated in batches by outbox id
* ``kibana``   saved objects imported through Kibana's import API
"""

from newsmon.es.errors import EsError

__all__ = ["EsError"]
