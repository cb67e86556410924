"""Outputs do not depend on thread count, argument order or file names.

All samples are analysed with --threads 1 (the baseline), --threads 4, the files passed one by
one in shuffled order, and through a folder of symlinks with shuffled names. sessions.jsonl and
tables/*.csv must be byte-identical, the SQLite `.dump` identical, and summary.json identical
except for the lists of paths.
"""

import copy
import hashlib
import os
import random

import pytest

import cbtest
from cbtest import analyze


def normalized_summary(s: dict) -> dict:
    s = copy.deepcopy(s)
    i = s["inputs"]
    i["other_files"] = {k: len(v) for k, v in i["other_files"].items()}
    i["skipped_files"] = sorted(x["reason"] for x in i["skipped_files"])
    i["damaged_files"] = sorted((x["error"], x["events_kept"]) for x in i["damaged_files"])
    i["reject_samples"] = sorted((x["reason"], x["excerpt"]) for x in i["reject_samples"])
    return s


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(res: cbtest.Result) -> dict:
    tables = sorted(p.name for p in (res.out / "tables").glob("*.csv"))
    return {
        "sessions.jsonl": digest(res.out / "sessions.jsonl"),
        "tables": {t: digest(res.out / "tables" / t) for t in tables},
        "summary": normalized_summary(res.summary),
        "sqlite": hashlib.sha256(cbtest.sqlite_dump(res.out / "cowrie.sqlite").encode("utf-8", "surrogateescape"))
        .hexdigest(),
    }


def all_files(root):
    out = []
    for dirpath, _dirs, files in os.walk(root):
        out += [os.path.join(dirpath, f) for f in files]
    return sorted(out)


@pytest.fixture(scope="module")
def baseline(cb_bin, samples, tmp_path_factory):
    res = analyze(cb_bin, samples, tmp_path_factory.mktemp("det-t1") / "out", "--threads", "1")
    assert res.rc == 0, res.explain()
    assert res.summary["sessions"] > 20000, "expected the full sample set"
    return fingerprint(res)


def compare(got: dict, want: dict):
    assert got["tables"].keys() == want["tables"].keys()
    diff = [t for t in want["tables"] if got["tables"][t] != want["tables"][t]]
    assert not diff, f"tables differ: {diff}"
    assert got["sessions.jsonl"] == want["sessions.jsonl"], "sessions.jsonl differs"
    assert got["summary"] == want["summary"]
    assert got["sqlite"] == want["sqlite"], "cowrie.sqlite .dump differs"


def test_threads_4_equals_threads_1(cb_bin, samples, baseline, tmp_path):
    res = analyze(cb_bin, samples, tmp_path / "out", "--threads", "4")
    assert res.rc == 0, res.explain()
    compare(fingerprint(res), baseline)


def test_shuffled_file_arguments(cb_bin, samples, baseline, tmp_path):
    files = all_files(samples)
    random.Random(20261126).shuffle(files)
    res = analyze(cb_bin, files, tmp_path / "out", "--threads", "3")
    assert res.rc == 0, res.explain()
    compare(fingerprint(res), baseline)


def test_folder_of_symlinks_with_shuffled_names(cb_bin, samples, baseline, tmp_path):
    files = all_files(samples)
    names = [f"f{i:04d}" for i in range(len(files))]
    random.Random(7).shuffle(names)
    links = tmp_path / "links"
    links.mkdir()
    for name, target in zip(names, files):
        os.symlink(target, links / name)
    res = analyze(cb_bin, links, tmp_path / "out", "--threads", "4")
    assert res.rc == 0, res.explain()
    assert res.summary["inputs"]["files"] + sum(len(v) for v in res.summary["inputs"]["other_files"].values()) \
        == len(files)
    compare(fingerprint(res), baseline)


def test_default_threads_equal_threads_1(all_samples_run, baseline):
    compare(fingerprint(all_samples_run), baseline)
