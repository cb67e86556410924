"""Outputs do not depend on thread count, argument order or file names.

A corpus is analysed with --threads 1 (the baseline), --threads 4, the files passed one by
one in shuffled order, through a folder of symlinks with shuffled names, and with the default
thread count. sessions.jsonl and tables/*.csv must be byte-identical, the SQLite `.dump`
identical, the exit code the same, and summary.json identical except for the lists of paths.

Two corpora: the project's own data (examples/logs, the two recorded sensors of
tests/data/multi-sensor with a gzipped rotation, and the damaged files of tests/data/quirks),
run by make test; and all of ../shared/samples, run by make test-wild.
"""

import copy
import hashlib
import os
import random
from dataclasses import dataclass

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
    assert res.rc in (0, 1), res.explain()
    tables = sorted(p.name for p in (res.out / "tables").glob("*.csv"))
    return {
        "rc": res.rc,
        "sessions.jsonl": digest(res.out / "sessions.jsonl"),
        "tables": {t: digest(res.out / "tables" / t) for t in tables},
        "summary": normalized_summary(res.summary),
        "sqlite": hashlib.sha256(cbtest.sqlite_dump(res.out / "cowrie.sqlite").encode("utf-8", "surrogateescape"))
        .hexdigest(),
    }


OWN_DATA = ["examples/logs", "tests/data/multi-sensor", "tests/data/quirks"]


@dataclass
class Corpus:
    roots: list
    min_sessions: int

    def files(self) -> list:
        out = []
        for root in self.roots:
            for dirpath, _dirs, files in os.walk(root):
                out += [os.path.join(dirpath, f) for f in files]
        return sorted(out)


@pytest.fixture(scope="module", params=["own", pytest.param("samples", marks=pytest.mark.wild)])
def corpus(request) -> Corpus:
    if request.param == "samples":
        return Corpus([request.getfixturevalue("samples")], 20000)
    return Corpus([cbtest.REPO / d for d in OWN_DATA], 100)


@pytest.fixture(scope="module")
def baseline(cb_bin, corpus, tmp_path_factory):
    res = analyze(cb_bin, corpus.roots, tmp_path_factory.mktemp("det-t1") / "out", "--threads", "1")
    assert res.rc in (0, 1), res.explain()
    assert res.summary["sessions"] > corpus.min_sessions, "expected the whole corpus"
    return fingerprint(res)


def compare(got: dict, want: dict):
    assert got["rc"] == want["rc"], "exit code differs"
    assert got["tables"].keys() == want["tables"].keys()
    diff = [t for t in want["tables"] if got["tables"][t] != want["tables"][t]]
    assert not diff, f"tables differ: {diff}"
    assert got["sessions.jsonl"] == want["sessions.jsonl"], "sessions.jsonl differs"
    assert got["summary"] == want["summary"]
    assert got["sqlite"] == want["sqlite"], "cowrie.sqlite .dump differs"


def test_threads_4_equals_threads_1(cb_bin, corpus, baseline, tmp_path):
    compare(fingerprint(analyze(cb_bin, corpus.roots, tmp_path / "out", "--threads", "4")), baseline)


def test_shuffled_file_arguments(cb_bin, corpus, baseline, tmp_path):
    files = corpus.files()
    random.Random(20261126).shuffle(files)
    compare(fingerprint(analyze(cb_bin, files, tmp_path / "out", "--threads", "3")), baseline)


def test_folder_of_symlinks_with_shuffled_names(cb_bin, corpus, baseline, tmp_path):
    files = corpus.files()
    names = [f"f{i:04d}" for i in range(len(files))]
    random.Random(7).shuffle(names)
    links = tmp_path / "links"
    links.mkdir()
    for name, target in zip(names, files):
        os.symlink(target, links / name)
    res = analyze(cb_bin, links, tmp_path / "out", "--threads", "4")
    assert res.rc in (0, 1), res.explain()
    assert res.summary["inputs"]["files"] + sum(len(v) for v in res.summary["inputs"]["other_files"].values()) \
        == len(files)
    compare(fingerprint(res), baseline)


def test_default_threads_equal_threads_1(cb_bin, corpus, baseline, request, tmp_path):
    if corpus.min_sessions >= 20000:  # the samples: reuse the run other tests share
        res = request.getfixturevalue("all_samples_run")
    else:
        res = analyze(cb_bin, corpus.roots, tmp_path / "out")
    compare(fingerprint(res), baseline)
