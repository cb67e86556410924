"""Shared fixtures. The binary comes from $CB_BIN (set by run_all.sh), else <repo>/build/cowrie-batch."""

import os
from pathlib import Path

import pytest

import cbtest


# Tests that read ../shared/samples ("wild" tests: they use one of WILD_FIXTURES or are marked
# @pytest.mark.wild) run only with --wild (make test-wild), so that
# make test on a lone clone runs everything it collects and skips nothing.
WILD_FIXTURES = {"samples", "all_samples_run", "folder_runs", "run3"}


def pytest_addoption(parser):
    parser.addoption("--wild", action="store_true",
                     help="run only the tests over ../shared/samples (they fail if it is missing)")


def is_wild(item) -> bool:
    return (bool(WILD_FIXTURES & set(getattr(item, "fixturenames", ()))) or "no-samples" in item.name
            or item.get_closest_marker("wild") is not None)


def pytest_collection_modifyitems(config, items):
    wild = config.getoption("--wild")
    if wild and not cbtest.SAMPLES.is_dir():
        pytest.exit(cbtest.SAMPLES_MISSING, returncode=2)
    keep = [i for i in items if is_wild(i) == wild]
    config.hook.pytest_deselected(items=[i for i in items if is_wild(i) != wild])
    items[:] = keep


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
