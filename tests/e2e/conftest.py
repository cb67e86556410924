"""Shared fixtures. The binary comes from $CB_BIN (set by run_all.sh), else <repo>/build/cowrie-batch."""

import os
from pathlib import Path

import pytest

import cbtest


@pytest.fixture(scope="session")
def cb_bin() -> Path:
    path = Path(os.environ.get("CB_BIN") or cbtest.REPO / "build" / "cowrie-batch").resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.exit(f"cowrie-batch binary not found or not executable: {path} (set CB_BIN)", returncode=2)
    return path


@pytest.fixture(scope="session")
def samples() -> Path:
    if not cbtest.SAMPLES.is_dir():
        pytest.skip(cbtest.SAMPLES_MISSING)
    return cbtest.SAMPLES


@pytest.fixture(scope="session")
def all_samples_run(cb_bin, samples, tmp_path_factory) -> cbtest.Result:
    """One run over every sample folder (default thread count), shared by several tests."""
    res = cbtest.analyze(cb_bin, samples, tmp_path_factory.mktemp("all-samples") / "out")
    assert res.rc == 0, res.explain()
    return res


@pytest.fixture(scope="session")
def folder_runs(cb_bin, tmp_path_factory):
    """Runs cowrie-batch once per sample folder, on demand, and caches the Result."""
    cache = {}

    def get(folder: Path) -> cbtest.Result:
        if folder not in cache:
            out = tmp_path_factory.mktemp("folder-" + folder.name[:40]) / "out"
            cache[folder] = cbtest.analyze(cb_bin, folder, out)
        return cache[folder]

    return get
