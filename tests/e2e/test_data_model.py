"""Issue #10, points 6-8: file writes are not downloads, empty strings are values, public-key logins.

Each point is checked on a small synthetic log (every output) and on the real sample logs
(<repo>/../shared/samples, skipped when absent), against an independent reading of the raw events.
"""

import csv
import json
from collections import Counter

import pytest

import cbtest

SHA_KEY = "a8460f446be540410004b1a8db4083773fa46f7fe76fa84219c93daa1669f8f2"


def ev(eid, t, sid="aaaa00000001", **kw):
    return {"eventid": eid, "timestamp": cbtest.ts(t), "session": sid, "sensor": "s1", "src_ip": "198.51.100.9", **kw}


def synthetic_log() -> list:
    fp = {"username": "root", "fingerprint": "0c:9e:ff", "key": "ssh-rsa AAAA", "type": "ssh-rsa"}
    return [
        ev("cowrie.session.connect", 0, protocol="ssh", src_port=4000, dst_port=22),
        ev("cowrie.client.fingerprint", 1, **fp),
        ev("cowrie.login.failed", 1.1, username="root", fingerprint="0c:9e:ff"),  # the verdict on that key
        ev("cowrie.client.fingerprint", 2, **fp),  # no verdict logged: one failed attempt
        ev("cowrie.login.failed", 3, username="root", password=""),
        ev("cowrie.login.success", 4, username="root", password="admin"),
        ev("cowrie.command.input", 5, input="echo ssh-rsa AAAA >> ~/.ssh/authorized_keys"),
        ev("cowrie.session.file_download", 6, destfile="/root/.ssh/authorized_keys", shasum=SHA_KEY,
           outfile="var/lib/cowrie/downloads/" + SHA_KEY, duplicate=False,
           message="Saved redir contents with SHA-256 %s to x" % SHA_KEY),
        ev("cowrie.session.file_download", 7, destfile="", shasum="bb" * 32, outfile="dl/bb", duplicate=False,
           message="Saved stdin contents with SHA-256 bb to dl/bb"),
        ev("cowrie.session.file_download", 8, url="http://192.0.2.1/x.sh", shasum="cc" * 32, outfile="dl/cc",
           duplicate=False),
        ev("cowrie.command.input", 9, input=""),
        ev("cowrie.session.closed", 12, duration=12.0),
    ]


@pytest.fixture(scope="module")
def synth(cb_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("data-model")
    (d / "cowrie.json").write_bytes(cbtest.dumps(synthetic_log()))
    res = cbtest.analyze(cb_bin, d / "cowrie.json", d / "out")
    assert res.rc == 0, res.explain()
    return res


def test_writes_split_from_downloads_everywhere(synth):
    s = synth.sessions[0]
    assert [d["url"] for d in s["downloads"]] == ["http://192.0.2.1/x.sh"]
    assert [(w["path"], w["persistence"]) for w in s["file_writes"]] == [
        ("/root/.ssh/authorized_keys", "ssh_key"), (None, None)]
    assert synth.summary["downloads"] == 1
    assert synth.summary["file_writes"] == 2 and synth.summary["persistence_writes"] == 1
    dl = synth.csv_rows("downloads")
    assert [r[0] for r in dl[1:]] == ["http://192.0.2.1/x.sh"]
    fw = synth.csv_rows("file_writes")
    assert fw[0] == ["time", "sensor", "session", "src_ip", "path", "shasum", "size", "duplicate", "persistence"]
    assert [(r[4], r[5], r[8]) for r in fw[1:]] == [("/root/.ssh/authorized_keys", SHA_KEY, "ssh_key"),
                                                   ("", "bb" * 32, "")]
    assert synth.query("SELECT path, shasum, persistence FROM file_writes ORDER BY time") == [
        ("/root/.ssh/authorized_keys", SHA_KEY, "ssh_key"), (None, "bb" * 32, None)]
    assert synth.query("SELECT count(*) FROM downloads") == [(1,)]
    docs = synth.query("SELECT count(*) FROM schema_doc WHERE table_name = 'file_writes'")
    assert docs[0][0] >= 1


def test_empty_strings_stay_empty(synth):
    s = synth.sessions[0]
    assert s["last_command"] == "" and s["secs_after_last_command"] == 3.0
    assert s["commands"][-1]["input"] == ""
    assert synth.query("SELECT count(*) FROM commands WHERE input = ''") == [(1,)]
    assert synth.query("SELECT count(*) FROM sessions WHERE last_command = ''") == [(1,)]
    assert synth.query("SELECT username, password FROM logins WHERE password = ''") == [("root", "")]
    creds = {(r[0], r[1]): r[2] for r in synth.csv_rows("credentials")[1:]}
    assert creds == {("root", ""): "1", ("root", "admin"): "1"}  # key attempts are not credentials
    novelty = [json.loads(r[1]) for r in synth.csv_rows("novelty")[1:] if r[0] == "credential"]
    assert ["root", ""] in novelty


def test_public_key_logins(synth):
    s = synth.sessions[0]
    assert s["login_attempts"] == 4 and s["login_successes"] == 1  # 2 keys (offer+verdict once), 2 passwords
    keys = [x for x in s["logins"] if "fingerprint" in x]
    assert [(k["username"], k["fingerprint"], k["success"]) for k in keys] == [("root", "0c:9e:ff", False)] * 2
    assert synth.query("SELECT username, password, fingerprint FROM logins WHERE fingerprint IS NOT NULL") == [
        ("root", None, "0c:9e:ff")] * 2
    kf = synth.csv_rows("key_fingerprints")
    assert kf[0][:4] == ["username", "fingerprint", "attempts", "successes"]
    assert [r[:4] for r in kf[1:]] == [["root", "0c:9e:ff", "2", "0"]]
    assert ["key_fingerprint", "0c:9e:ff"] in [r[:2] for r in synth.csv_rows("novelty")[1:]]


def test_report_has_the_new_sections(synth):
    html = (synth.out / "report.html").read_text("utf-8")
    assert "key_fingerprints" in html and "file_writes" in html


# ------------------------------------------------------------------ real samples


def raw_events(root, wanted):
    """Every event of the sample tree whose eventid is in `wanted` (an independent reader)."""
    ref = cbtest.Reference()
    out = []
    ref.add_event = lambda e: out.append(e) if e["eventid"] in wanted else None
    ref.add_tree(root)
    return out


def test_samples_file_writes_follow_the_message(all_samples_run, samples):
    """Every "Saved redir/stdin contents" event is a write, every "Downloaded URL" a download."""
    events = raw_events(samples, {"cowrie.session.file_download"})
    msg = Counter((e.get("message") or e.get("format") or "").split(" contents")[0].split(" (")[0] for e in events)
    writes = msg["Saved redir"] + msg["Saved stdin"]
    assert writes > 0 and msg["Downloaded URL"] > 0
    assert sum(msg.values()) == writes + msg["Downloaded URL"], msg  # no other kind of message
    s = all_samples_run.summary
    assert s["file_writes"] == writes and s["downloads"] == msg["Downloaded URL"]
    keys = sum(1 for e in events if (e.get("destfile") or "").endswith("/.ssh/authorized_keys"))
    assert s["persistence_writes"] == keys
    assert all_samples_run.query("SELECT count(*) FROM file_writes WHERE persistence = 'ssh_key'") == [(keys,)]
    assert len(all_samples_run.csv_rows("file_writes")) - 1 == writes
    # downloads.csv and the SQLite downloads hold URL fetches only
    assert all(r[0].split("://")[0] in ("http", "https", "ftp", "tftp") for r in all_samples_run.csv_rows("downloads")[1:])
    assert all_samples_run.query("SELECT count(*) FROM downloads WHERE url IS NULL OR url NOT LIKE '%://%'") == [(0,)]


def test_samples_empty_strings_are_values(all_samples_run, samples):
    events = raw_events(samples, {"cowrie.command.input", "cowrie.login.failed", "cowrie.login.success"})
    empty_inputs = sum(1 for e in events if e.get("input") == "")
    empty_pw = sum(1 for e in events if e.get("password") == "" and not e.get("fingerprint"))
    assert empty_inputs > 0 and empty_pw > 0
    assert all_samples_run.query("SELECT count(*) FROM commands WHERE input = ''") == [(empty_inputs,)]
    assert all_samples_run.query("SELECT count(*) FROM commands WHERE input IS NULL") == [(0,)]
    assert all_samples_run.query("SELECT count(*) FROM logins WHERE password = ''") == [(empty_pw,)]
    # last_command is '' exactly when the last line was empty, and secs_after_last_command comes with it
    for s in all_samples_run.sessions:
        if s["commands"]:
            assert s["last_command"] == s["commands"][-1]["input"]
            assert s["secs_after_last_command"] is not None
        else:
            assert s["last_command"] is None and s["secs_after_last_command"] is None
    assert all_samples_run.query(
        "SELECT count(*) FROM sessions WHERE commands > 0 AND last_command IS NULL") == [(0,)]
    users = {e.get("username") for e in events if e.get("password") == "" and not e.get("fingerprint")}
    novelty = {tuple(json.loads(r[1])) for r in all_samples_run.csv_rows("novelty")[1:] if r[0] == "credential"}
    assert {(u, "") for u in users} <= novelty


def test_samples_public_key_attempts(all_samples_run, samples):
    offers = raw_events(samples, {"cowrie.client.fingerprint"})
    assert offers
    ref = cbtest.Reference().add_tree(samples)
    key_attempts = sum(max(s.key_offers[k], s.key_verdicts[k])
                       for s in ref.sessions.values() for k in set(s.key_offers) | set(s.key_verdicts))
    rows = all_samples_run.csv_rows("key_fingerprints")[1:]
    assert sum(int(r[2]) for r in rows) == key_attempts
    assert all_samples_run.query("SELECT count(*) FROM logins WHERE fingerprint IS NOT NULL") == [(key_attempts,)]
    assert {r[1] for r in rows} == {e["fingerprint"] for e in offers}
    jsonl = sum(1 for s in all_samples_run.sessions for x in s["logins"] if "fingerprint" in x)
    assert jsonl == key_attempts
    assert all_samples_run.summary["logins"]["attempts"] == ref.totals()["login_attempts"]
