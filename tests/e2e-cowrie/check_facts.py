#!/usr/bin/env python3
"""Check a recorded log directory against the driver's facts.

    check_facts.py LOGDIR        (LOGDIR holds cowrie.json*, tty/, downloads/,
                                  driver-facts.json, as left by record.sh)

This checks that the *recording* is what the driver meant (Cowrie really logged
each scenario as one session with the expected logins, commands, failures,
downloads, uploads and forwards). It does not run cowrie-batch; a later
`make e2e-cowrie` test can compare cowrie-batch's output with the same facts.
Exit 0 when every check passes; prints one line per problem otherwise.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path


def load_events(d: Path) -> list[tuple[str, dict]]:
    out = []
    for f in sorted(d.glob("cowrie.json*")):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip("\0\n")
                if line:
                    out.append((f.name, json.loads(line)))
    out.sort(key=lambda fe: fe[1]["timestamp"])
    return out


def main() -> int:
    d = Path(sys.argv[1])
    facts = json.loads((d / "driver-facts.json").read_text())
    events = load_events(d)
    sessions: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for fe in events:
        sessions[fe[1]["session"]].append(fe)
    by_key = {}
    for sid, evs in sessions.items():
        conn = [e for _, e in evs if e["eventid"] == "cowrie.session.connect"]
        if conn:
            by_key[(conn[0]["dst_port"], conn[0]["src_port"])] = sid

    problems: list[str] = []

    def bad(scn: dict, msg: str) -> None:
        problems.append(f"{scn['name']} (src_port {scn.get('src_port')}): {msg}")

    hp = facts["honeypot"]
    port_of = {"ssh": hp["ssh_port"], "telnet": hp["telnet_port"]}
    if facts["session_count"] != len(sessions):
        problems.append(f"{len(sessions)} sessions in the logs, facts say {facts['session_count']}")

    for scn in facts["scenarios"]:
        if not scn.get("ok"):
            bad(scn, f"driver reported failure: {scn.get('error')}")
            continue
        sid = by_key.get((port_of[scn["protocol"]], scn.get("src_port")))
        if sid is None:
            bad(scn, "no session with this src_port")
            continue
        files = {f for f, _ in sessions[sid]}
        evs = [e for _, e in sessions[sid]]
        ids = [e["eventid"] for e in evs]
        if "cowrie.session.closed" not in ids:
            bad(scn, "no session.closed")
        logins = scn.get("logins", [])
        nf = sum(1 for x in logins if not x["success"])
        ns = sum(1 for x in logins if x["success"])
        if ids.count("cowrie.login.failed") != nf or ids.count("cowrie.login.success") != ns:
            bad(scn, f"logins: failed {ids.count('cowrie.login.failed')}/{nf}, "
                     f"success {ids.count('cowrie.login.success')}/{ns}")
        inputs = [e["input"] for e in evs if e["eventid"] == "cowrie.command.input"]
        it = iter(inputs)
        if not all(any(c == i for i in it) for c in scn["commands"]):
            bad(scn, f"commands {scn['commands']} not in order in {inputs}")
        last = inputs[-1] if inputs else None
        if last != scn["expected_last_command"]:
            bad(scn, f"last command {last!r}, expected {scn['expected_last_command']!r}")
        failed = sorted(e["input"].strip() for e in evs if e["eventid"] == "cowrie.command.failed")
        if failed != sorted(scn["expected_failed_commands"]):
            bad(scn, f"failed commands {failed}, expected {scn['expected_failed_commands']}")
        for dl in scn.get("downloads", []):
            got = [e for e in evs if e["eventid"] == "cowrie.session.file_download"
                   and e.get("url") == dl["url"]]
            if not got or got[0].get("shasum") != dl["sha256"]:
                bad(scn, f"download {dl['url']} not logged with sha256 {dl['sha256']}")
            elif not (d / "downloads" / dl["sha256"]).is_file():
                bad(scn, f"downloads/{dl['sha256']} missing")
        for up in scn.get("uploads", []):
            got = [e for e in evs if e["eventid"] == "cowrie.session.file_upload"
                   and e.get("shasum") == up["sha256"]]
            if not got:
                bad(scn, f"upload {up['filename']} not logged")
            elif not (d / "downloads" / up["sha256"]).is_file():
                bad(scn, f"downloads/{up['sha256']} missing")
        for fw in scn.get("forwards", []):
            if not any(e["eventid"] == "cowrie.direct-tcpip.request"
                       and e.get("dst_port") == fw["dst_port"] for e in evs):
                bad(scn, f"no direct-tcpip.request to {fw['dst_ip']}:{fw['dst_port']}")
        for e in evs:
            if e["eventid"] == "cowrie.log.closed":
                name = Path(e["ttylog"]).name
                if not (d / "tty" / name).is_file():
                    bad(scn, f"tty/{name} missing")
        if scn["name"] == "spans_utc_midnight" and scn.get("spans_midnight"):
            if len(files) != 2:
                bad(scn, f"expected the session in two files, found {sorted(files)}")

    for p in problems:
        print("FAIL", p)
    print(f"{len(facts['scenarios']) } scenarios, {len(sessions)} sessions, "
          f"{len(events)} events: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
