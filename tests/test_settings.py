"""Every newsmon setting the code reads is in the one settings catalogue, with its meaning."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = (ROOT / "settings" / "scrapy_settings.py").read_text(encoding="utf-8")


# Names that look like settings but are not: environment variables and a file name.
NOT_SETTINGS = {"NEWSMON_DATA", "NEWSMON_CACHE_DIR", "NEWSMON_SCHEMA", "NEWSMON_SETTINGS",
                # secrets and cluster addresses: the environment only, never a settings file
                "NEWSMON_ES_URL", "NEWSMON_ES_API_KEY", "NEWSMON_ES_USER", "NEWSMON_ES_PASSWORD",
                "NEWSMON_ES_CA_CERTS", "NEWSMON_KIBANA_URL", "NEWSMON_SMTP_PASSWORD", "NEWSMON_SERVE_TOKEN",
                "NEWSMON_ALERTS_FAULT"}  # a fault-injection switch for the alerts crash tests


def used_settings() -> set[str]:
    names: set[str] = set()
    for folder in ("crawler", "pipelines", "newsmon"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(re.findall(r"[\"'](NEWSMON_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    return names - NOT_SETTINGS


def test_every_setting_read_is_defined_and_documented() -> None:
    defined = dict(re.findall(r"^(NEWSMON_[A-Z_]+) = .*?(#.*)?$", CATALOGUE, re.M))
    used = used_settings()
    assert used, "found no settings in the code: the scan is broken"
    missing = sorted(used - set(defined))
    assert not missing, f"read by the code but not in settings/scrapy_settings.py: {missing}"
    undocumented = sorted(name for name, comment in defined.items() if not comment.strip("# "))
    assert not undocumented, f"no comment saying what it does: {undocumented}"
    unused = sorted(set(defined) - used)
    assert not unused, f"defined but never read: {unused}"


def test_catalogue_is_alphabetical_within_the_newsmon_group() -> None:
    names = re.findall(r"^(NEWSMON_[A-Z_]+) = ", CATALOGUE, re.M)
    assert names == sorted(names)
