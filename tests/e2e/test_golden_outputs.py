"""Golden outputs keyed by command line: each tests/golden/<case>/cmd is run again and its
outputs compared byte for byte with the files beside it (tests/golden/golden.py does the work;
`make approve` rewrites them after review)."""

import sys

import pytest

import cbtest

sys.path.insert(0, str(cbtest.REPO / "tests" / "golden"))
import golden  # noqa: E402

CASES = golden.cases()


def test_there_are_golden_cases():
    assert len(CASES) >= 4, CASES


@pytest.mark.parametrize("case", CASES)
def test_golden_case(cb_bin, case, tmp_path):
    report = golden.compare(case, golden.run_case(cb_bin, case, tmp_path / "out"))
    if report:
        pytest.fail(report, pytrace=False)


def test_golden_runner_reports_a_changed_file(cb_bin, tmp_path):
    """The comparison is not vacuous: one changed byte in a golden copy is found and diffed."""
    case = CASES[0]
    got = golden.run_case(cb_bin, case, tmp_path / "out")
    assert golden.compare(case, got) == ""
    name = "tables/sensors.csv"
    got[name] = got[name].replace(b",", b";", 1)
    report = golden.compare(case, got)
    assert f"{name}: differs" in report and "@@" in report and "+" in report, report
    got["tables/brand_new.csv"] = b"a\n"
    assert "tables/brand_new.csv: written now, no golden copy" in golden.compare(case, got)
