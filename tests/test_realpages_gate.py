"""Quality gate on real pages nobody here wrote (issue 12): the shared dev sets, scored the way
their README says by ``benchmarks/realpages.py``, must not fall more than 0.005 below the
figures recorded in ``benchmarks/realpages_figures.json`` (``realpages.py --record``).

The sets live outside the repository: ``$NEWSMON_REALPAGES``, else ``../shared/realpages``
next to the repository. Without them the gate is skipped, and says why.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import realpages_bench

bench = realpages_bench()

SOURCE = bench.data_dir()
RECORDED = json.loads(bench.FIGURES.read_text(encoding="utf-8"))
TOLERANCE = 0.005

pytestmark = pytest.mark.skipif(
    SOURCE is None, reason="real-page dev sets not found: set NEWSMON_REALPAGES to the folder holding "
                           "extraction-dev.tar.xz and dates-dev.tar.xz (default ../shared/realpages)")


def test_extraction_f1_holds_on_real_pages():
    got = bench.extraction_figures(SOURCE)
    assert got["f1"] >= RECORDED["f1"] - TOLERANCE, f"F1 {got['f1']} < recorded {RECORDED['f1']}"
    assert got["empty"] <= RECORDED["empty"], f"{got['empty']} pages empty, recorded {RECORDED['empty']}"


def test_date_accuracy_holds_on_real_pages():
    got = bench.date_figures(SOURCE)
    assert got["date_accuracy"] >= RECORDED["date_accuracy"] - TOLERANCE, got
    assert got["date_accuracy_local"] >= RECORDED["date_accuracy_local"] - TOLERANCE, got
    assert got["no_date"] <= RECORDED["no_date"], got
