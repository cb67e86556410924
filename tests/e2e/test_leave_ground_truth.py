"""Ground truth for "why they leave": injected scripts with a known step, measured on real logs.

Into a real log (the project's own examples/logs, and each wild sample source when ../shared
is there) we inject:
  - SCRIPTS marker-delimited bot scripts (Mirai style: a random `/bin/busybox <WORD>` after
    every step, as a `; marker` tail or a line of its own). In each, half the sessions leave
    right after one known step (the "detect" step); the other half run the script to its end.
  - one script that nobody reacts to (all sessions run it to its end and exit);
  - exec-only probes (`uname -a`, `cat /proc/cpuinfo`, one exec channel each) that close by
    design.
Then we read hints.json as a researcher would: a leave-type hint (fork-*, lift-*, probe-*,
implement-*) of severity medium or high names either an injected detect step (right), or
an artefact: a marker, exit, an exec probe, or the end of the script nobody reacts to
(wrong). docs/ANALYSES.md reports the figures this test measures.
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cbtest

SCRIPTS = 5
SESSIONS_PER_SCRIPT = 40
# Steps whose template is the step itself (no numbers, addresses or random words).
STEP_POOL = [
    "cat /proc/mounts", "cd /dev/shm", "cat /etc/issue", "uname -m", "cat /proc/version", "ls -la /tmp",
    "df -h", "cat /etc/os-release", "ps x", "free -m", "cat /proc/meminfo | head", "id", "whoami",
    "echo $SHELL", "ls /bin", "cat /etc/hostname", "mount", "getconf LONG_BIT", "cat /proc/stat | head",
    "netstat -an | head", "crontab -l", "ls /home", "cat /etc/passwd | head", "hostname",
]
LEAVE_TYPES = ("fork-", "lift-", "probe-", "implement-", "shell-construct-")
SENSOR = "gt-sensor"


def ev(eventid, t, sid, **kw):
    d = {"eventid": eventid, "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "session": sid,
         "src_ip": kw.pop("src_ip", "192.0.2.1"), "sensor": SENSOR}
    d.update(kw)
    return d


def shell_session(sid, ip, t0, lines, wait=0):
    """A telnet shell session: connect, login, the lines one second apart, then a close (after
    `wait` more seconds of silence: 180 is Cowrie's idle timeout)."""
    out = [ev("cowrie.session.connect", t0, sid, src_ip=ip, src_port=40000, dst_port=23, protocol="telnet"),
           ev("cowrie.login.success", t0 + timedelta(seconds=1), sid, src_ip=ip, username="root", password="xc3511")]
    t = t0 + timedelta(seconds=2)
    for line in lines:
        out.append(ev("cowrie.command.input", t, sid, src_ip=ip, input=line))
        t += timedelta(seconds=1)
    t += timedelta(seconds=wait)
    out.append(ev("cowrie.session.closed", t, sid, src_ip=ip, duration=(t - t0).total_seconds()))
    return out


def exec_session(sid, ip, t0, command):
    """An SSH exec request: one channel (session.params), one command, closed by Cowrie."""
    return [ev("cowrie.session.connect", t0, sid, src_ip=ip, src_port=41000, dst_port=22, protocol="ssh"),
            ev("cowrie.client.version", t0, sid, src_ip=ip, version="SSH-2.0-Go"),
            ev("cowrie.login.success", t0 + timedelta(seconds=1), sid, src_ip=ip, username="root", password="admin"),
            ev("cowrie.session.params", t0 + timedelta(seconds=1.1), sid, src_ip=ip, arch="linux-x64-lsb"),
            ev("cowrie.command.input", t0 + timedelta(seconds=1.2), sid, src_ip=ip, input=command),
            ev("cowrie.session.closed", t0 + timedelta(seconds=1.5), sid, src_ip=ip, duration=1.5)]


ECHO_MARKER = "echo -e '\\x6f\\x6b'"


def marker(rng, style):
    """Three marker families seen in the wild: a random busybox applet (new per session), the
    same guarded, and a constant echo of hex escapes."""
    word = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
    return [f"/bin/busybox {word}", f"(/bin/busybox {word} || :)", ECHO_MARKER][style % 3]


def script_lines(steps, m, tail_style):
    """Each step followed by the session's marker, as a tail of its line or as a line of its own."""
    lines = []
    for s in steps:
        if tail_style:
            lines.append(f"{s}; {m}")
        else:
            lines += [s, m]
    return lines


def inject(seed: int, sessions=SESSIONS_PER_SCRIPT, leave_share=0.5):
    """Events to inject and the truth: detect steps, and what must never be blamed. In each
    reacting script, leave_share of the sessions leave right after the detect step."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc)
    events, detect = [], []
    n = 0
    for k in range(SCRIPTS + 1):
        while True:  # six steps; detect steps differ from each other and from the quiet end
            steps = rng.sample(STEP_POOL, 6)
            d = rng.randrange(1, 5)  # 0-based index of the detect step: depth 2..5
            if k < SCRIPTS and steps[d] not in detect or k == SCRIPTS and steps[-1] not in detect:
                break
        reacts = k < SCRIPTS
        if reacts:
            detect.append(steps[d])
        else:
            quiet_end = steps[-1]
        for i in range(sessions):
            m = marker(rng, k)
            leaves = reacts and i < round(leave_share * sessions)
            lines = ["enable", "system", "shell", "sh"] + script_lines(steps[: d + 1] if leaves else steps, m, k % 2 == 0)
            if not leaves:
                lines.append("rm -f .s; exit")
            ip = f"198.51.100.{(n % 250) + 1}"
            events += shell_session(f"gt{n:010x}", ip, t0 + timedelta(seconds=30 * n), lines)
            n += 1
    for i in range(60):
        cmd = "uname -a" if i % 2 else "cat /proc/cpuinfo"
        events += exec_session(f"ex{i:010x}", f"203.0.113.{i + 1}", t0 + timedelta(seconds=30 * (n + i)), cmd)
    return events, detect, quiet_end


def blamed_text(h):
    """What a leave-type hint blames: the step in its title."""
    title = h["title"]
    for sep in ("after: ", "Implement the command ", "construct "):
        if sep in title:
            return title.split(sep, 1)[1]
    return title


def judge(hints, detect, quiet_end):
    """(right, artefacts, named): which detect steps are named, and what was blamed wrongly."""
    named, artefacts = set(), []
    for h in hints:
        if not h["id"].startswith(LEAVE_TYPES) or h["severity"] not in ("high", "medium"):
            continue
        if h["id"].startswith("probe-"):
            ev_ = h["evidence"]
            # A probe hint is an artefact when nobody left after it in a shell.
            if ev_.get("left_right_after", 0) == 0:
                artefacts.append(h["id"])
            continue
        text = blamed_text(h)
        if text in detect:
            named.add(text)
        elif "busybox" in text or "\\x6f" in text or text.startswith("exit") or text in ("uname -a", "cat /proc/cpuinfo") or text == quiet_end \
                or text.startswith("rm -f .s"):
            artefacts.append(f"{h['id']}: {text}")
    return named, artefacts


def analyze_injected(cb_bin, tmp_path, base, events):
    """A copy of the base logs plus the injected events as one more file, analysed: (result, hints)."""
    logs = tmp_path / "logs"
    shutil.copytree(base, logs)
    events.sort(key=lambda e: e["timestamp"])
    (logs / "cowrie.json.injected").write_text("".join(json.dumps(e) + "\n" for e in events))
    res = cbtest.analyze(cb_bin, logs, tmp_path / "out")
    assert res.rc in (0, 1), res.explain()
    return res, json.loads((res.out / "hints.json").read_text())["hints"]


# The project's recordings run in make test; the wild samples only with --wild (make test-wild).
BASES = [pytest.param(cbtest.REPO / "examples" / "logs", id="examples"),
         pytest.param(cbtest.REPO / "tests" / "data" / "multi-sensor", id="multi-sensor")] + [
    pytest.param(f, id=f.name, marks=pytest.mark.wild) for f in cbtest.sample_folders() if f.parent.name == "wild"]


@pytest.mark.parametrize("base", BASES)
def test_right_step_named_and_no_artefact(cb_bin, base, tmp_path):
    events, detect, quiet_end = inject(seed=len(base.name))
    res, hints = analyze_injected(cb_bin, tmp_path, base, events)
    named, artefacts = judge(hints, detect, quiet_end)
    print(f"ground truth {base.name}: named {len(named)}/{len(detect)}, artefacts {artefacts}")
    assert not artefacts, artefacts
    assert len(named) == len(detect), (sorted(set(detect) - named), [h["title"] for h in hints])
    # Every injected detect step is a high fork: depth >= 2, 20 left and 20 went on.
    forks = {blamed_text(h): h for h in hints if h["id"].startswith("fork-")}
    for step in detect:
        assert forks[step]["severity"] == "high", forks[step]
        ex = forks[step]["evidence"]["example_sessions"]
        assert ex and all(x.startswith(SENSOR + "/gt") for x in ex), ex
    # The markers were found from the data, and no session's last step is a marker.
    markers = (res.out / "tables" / "markers.csv").read_text()
    assert "/bin/busybox <RAND>,1," in markers, markers[:500]
    assert "echo -e '<HEX>',1," in markers, markers[:500]
    for line in (res.out / "sessions.jsonl").read_text().splitlines():
        s = json.loads(line)
        if s["sensor"] == SENSOR and s["last_step"] is not None:
            step = s["last_step"]
            assert "busybox" not in step and "\\x6f" not in step and not step.startswith("exit"), step


def test_two_ways_to_end_is_not_high(cb_bin, tmp_path):
    """Half the sessions leave after a step, the other half only clean up (`rm .s`) and exit:
    two ways for a loader to end, not a script cut short. At most medium."""
    rng = random.Random(5)
    t0 = datetime(2026, 1, 16, 8, 0, tzinfo=timezone.utc)
    steps = ["cat /proc/mounts", "cd /dev/shm", "cat .s || cp /bin/echo .s", "dd bs=52 count=1 if=.s || cat .s"]
    events = []
    for i in range(40):
        m = marker(rng, 0)
        lines = ["enable", "system", "shell", "sh"] + script_lines(steps, m, True)
        if i % 2:
            lines.append("rm .s; exit")
        events += shell_session(f"te{i:010x}", f"198.51.100.{i + 1}", t0 + timedelta(seconds=30 * i), lines)
    hints = analyze_injected(cb_bin, tmp_path, cbtest.REPO / "examples" / "logs", events)[1]
    fork = next(h for h in hints if h["id"].startswith("fork-") and "dd bs=" in h["title"])
    assert fork["evidence"]["stopped"] == 20 and fork["evidence"]["continued"] == 20, fork
    assert fork["evidence"]["went_further"] == 0 and fork["severity"] == "medium", fork


def test_stall_after_a_step_is_named_not_as_leaving(cb_bin, tmp_path):
    """A third of the sessions send the step and its marker, then wait until Cowrie's idle timeout
    closes them: a stall ("wait in vain"), named with the marker they waited on; it is no leaving."""
    rng = random.Random(11)
    t0 = datetime(2026, 1, 17, 8, 0, tzinfo=timezone.utc)
    steps = ["cat /proc/mounts", "cd /dev/shm", "cat /etc/issue", "uname -m", "ps x"]
    events = []
    for i in range(45):
        m = marker(rng, 0)
        stalls = i % 3 == 0
        lines = ["enable", "system", "shell", "sh"] + script_lines(steps[:3] if stalls else steps, m, False)
        if not stalls:
            lines.append("rm -f .s; exit")
        events += shell_session(f"st{i:010x}", f"198.51.100.{i + 1}", t0 + timedelta(seconds=300 * i), lines,
                                wait=185 if stalls else 0)
    hints = analyze_injected(cb_bin, tmp_path, cbtest.REPO / "examples" / "logs", events)[1]
    stall = next(h for h in hints if h["id"].startswith("stall-"))
    assert stall["title"].endswith("cat /etc/issue") and stall["severity"] == "medium", stall
    e = stall["evidence"]
    assert e["stalled"] == 15 and e["continued"] == 30 and e["stalled_after"].startswith("/bin/busybox <RAND>:15"), e
    assert all(x.split("/")[1].startswith("st") for x in e["example_sessions"])
    assert not any(h["id"].startswith("fork-") and "cat /etc/issue" in h["title"] for h in hints)
