"""A local sample news site (feeds, sitemaps, search, article pages in 7 languages) for tests and demos.

Every text here is original fixture writing; no real outlet's article is reproduced. The site is
served by :mod:`newsmon.sample_site.server`; the truth each page encodes comes from
:mod:`newsmon.sample_site.catalog`.
"""
