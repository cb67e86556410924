"""Command line: input kinds (stdin, globs, missing paths), exit codes, --help and --version."""

import gzip
import json
import os
import re
import subprocess
import threading

import pytest

from cbtest import analyze, clean_log, dumps, run_cb

BASE = clean_log(3)


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encode", [lambda b: b, gzip.compress], ids=["plain", "gzip"])
def test_stdin(cb_bin, tmp_path, encode):
    res = analyze(cb_bin, "-", tmp_path / "out", stdin=encode(dumps(BASE)))
    assert res.rc == 0, res.explain()
    s = res.summary
    assert s["inputs"]["events"] == len(BASE)
    assert s["sessions"] == 3 and s["commands"] == 6
    assert s["inputs"]["decoded_bytes"] == len(dumps(BASE))


def test_stdin_together_with_a_file(cb_bin, tmp_path):
    f = write(tmp_path / "cowrie.json", dumps(clean_log(2, t0=10_000, prefix="b")))
    res = analyze(cb_bin, ["-", f], tmp_path / "out", stdin=dumps(BASE))
    assert res.rc == 0, res.explain()
    assert res.summary["sessions"] == 5
    assert res.summary["inputs"]["files"] == 2


def test_stdin_gzip_compression_is_reported(cb_bin, tmp_path):
    res = analyze(cb_bin, "-", tmp_path / "out", stdin=gzip.compress(dumps(BASE)))
    assert res.rc == 0
    assert res.summary["inputs"]["compression"] == {"gzip": 1}


def test_glob_pattern(cb_bin, tmp_path):
    d = tmp_path / "logs"
    write(d / "cowrie.json.2024-03-01", dumps(clean_log(1, prefix="a")))
    write(d / "cowrie.json.2024-03-02", dumps(clean_log(2, t0=500, prefix="b")))
    write(d / "other.json", dumps(clean_log(4, t0=900, prefix="c")))  # not matched
    res = analyze(cb_bin, str(d / "cowrie.json.*"), tmp_path / "out")
    assert res.rc == 0, res.explain()
    assert res.summary["inputs"]["files"] == 2
    assert res.summary["sessions"] == 3
    assert {s["session"][0] for s in res.sessions} == {"a", "b"}


def test_glob_matching_nothing(cb_bin, tmp_path):
    res = analyze(cb_bin, str(tmp_path / "nothing-*.json"), tmp_path / "out")
    assert res.rc == 2, res.explain()
    assert "nothing-*.json" in res.err


def test_missing_path_beside_a_good_one(cb_bin, tmp_path):
    good = write(tmp_path / "cowrie.json", dumps(BASE))
    missing = tmp_path / "does-not-exist" / "cowrie.json.7"
    res = analyze(cb_bin, [good, missing], tmp_path / "out")
    assert res.rc == 1, res.explain()
    assert str(missing) in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert res.summary["sessions"] == 3
    assert [x["path"] for x in res.summary["inputs"]["skipped_files"]] == [str(missing)]


def test_only_missing_path_is_exit_2(cb_bin, tmp_path):
    res = analyze(cb_bin, tmp_path / "nope", tmp_path / "out")
    assert res.rc == 2, res.explain()
    assert str(tmp_path / "nope") in res.err


def test_no_event_log_at_all(cb_bin, tmp_path):
    d = tmp_path / "in"
    write(d / "cowrie.log", b"2024-03-01T00:00:00.000000Z [-] Ready to accept SSH connections\n")
    write(d / "notes.txt", b"hello\n")
    res = analyze(cb_bin, d, tmp_path / "out")
    assert res.rc == 2, res.explain()
    assert "no Cowrie JSON event log" in res.err
    assert not (tmp_path / "out" / "summary.json").exists()


def test_unknown_flag_is_usage_error(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    p = run_cb(cb_bin, "analyze", tmp_path / "cowrie.json", "-o", tmp_path / "out", "--frobnicate")
    assert p.returncode == 2
    assert b"--frobnicate" in p.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [[], ["analyze"], ["nosuchcommand"], ["analyze", "x", "--threads", "abc"],
                                  ["analyze", "x", "--idle-timeout", "-5"]])
def test_other_usage_errors(cb_bin, tmp_path, args):
    p = run_cb(cb_bin, *args, cwd=tmp_path)
    assert p.returncode == 2, (args, p.stderr)
    assert p.stderr.strip()


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["analyze", "--help"]])
def test_help(cb_bin, args):
    p = run_cb(cb_bin, *args)
    assert p.returncode == 0
    assert b"Usage" in p.stdout
    if "analyze" in args:
        for flag in (b"--out", b"--threads", b"--quiet", b"--idle-timeout", b"--auth-timeout"):
            assert flag in p.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cb_bin, flag):
    p = run_cb(cb_bin, flag)
    assert p.returncode == 0
    assert re.fullmatch(rb"cowrie-batch \d+\.\d+\.\d+\S*\n", p.stdout), p.stdout


def test_version_matches_summary(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "cowrie.json", tmp_path / "out")
    version = run_cb(cb_bin, "--version").stdout.split()[1].decode()
    assert res.summary["tool"] == {"name": "cowrie-batch", "version": version}


def test_unwritable_output_is_exit_3(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    blocker = write(tmp_path / "a-file", b"x")
    res = analyze(cb_bin, tmp_path / "cowrie.json", blocker / "out")
    assert res.rc == 3, res.explain()
    assert "a-file" in res.err


def test_unwritable_output_names_the_folder_and_reason(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "cowrie.json", "/proc/cb-no-such-dir")
    assert res.rc == 3, res.explain()
    assert "cannot create the output folder /proc/cb-no-such-dir: " in res.err, res.err
    assert "/tables" not in res.err, res.err


def test_console_summary_singular(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(clean_log(1)))
    text = analyze(cb_bin, tmp_path / "cowrie.json", tmp_path / "out", quiet=False).stdout.decode()
    assert "1 log file (" in text and "in 1 session from 1 address on 1 sensor\n" in text, text
    assert " 1 files" not in text and " 1 sensors" not in text and " 1 addresses" not in text, text


def test_quiet_and_console_summary(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    quiet = analyze(cb_bin, tmp_path / "cowrie.json", tmp_path / "out1")
    loud = analyze(cb_bin, tmp_path / "cowrie.json", tmp_path / "out2", quiet=False)
    assert quiet.rc == loud.rc == 0
    assert quiet.stdout == b""
    text = loud.stdout.decode()
    assert "18 events in 3 sessions" in text
    assert "6 lines" in text and "3 attempts, 3 successful" in text


def test_timeouts_are_recorded(cb_bin, tmp_path):
    write(tmp_path / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "cowrie.json", tmp_path / "out", "--idle-timeout", "300", "--auth-timeout", "30")
    assert res.rc == 0, res.explain()
    opts = res.summary["options"]
    assert (opts["idle_timeout_s"], opts["auth_timeout_s"]) == (300, 30)
    assert opts["attack_rules"] == {"built_in": True, "attack_version": "18.1", "techniques": 31}


def test_process_substitution_pipe(cb_bin, tmp_path):
    data = dumps(BASE)
    assert len(data) < 16384  # fits in the pipe buffer, so the writer never blocks
    r, w = os.pipe()

    def writer():
        os.write(w, data)
        os.close(w)

    threading.Thread(target=writer).start()
    try:
        p = subprocess.run([str(cb_bin), "analyze", f"/dev/fd/{r}", "-o", str(tmp_path / "out"), "--quiet"],
                           pass_fds=(r,), capture_output=True, timeout=60)
    finally:
        os.close(r)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["inputs"]["events"] == len(BASE), (p.returncode, p.stderr)
    assert summary["sessions"] == 3
    assert p.returncode == 0
