"""`cowrie-batch hadoop` takes every option of `analyze`, with the same effect.

The options are read from `analyze --help`, so a new one cannot be forgotten: OPTION_VALUES
must name a non-default value for each (the test fails for one it does not know). The options
are grouped into two runs (each Hadoop run starts an in-process HDFS and takes most of a
minute): one with every option that keeps the analyses, one with --no-analyses. Each run is
made by both engines on the project's own examples/logs, and the outputs must be the same:
every tables/*.csv, sessions.jsonl, hints.json, summary.json and report.html, byte for byte
(sessions.jsonl as a set of lines). A local run per option also shows that each value changes
the outputs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import cbtest

LOGS = cbtest.REPO / "examples" / "logs"

# A cowrie.cfg that leaves the host name at Cowrie's default: hints.json gets cfg-* hints.
COWRIE_CFG = "[honeypot]\nhostname = svr04\n[ssh]\nversion = SSH-2.0-OpenSSH_8.4p1 Debian-5\n"

# ATT&CK rules other than the built-in ones (written beside the cowrie.cfg, "{rules}"): job 2's
# tasks must get them too. So must a GeoIP database ("{geoip}", written by the e2e tools venv),
# which maps examples/logs' 127.0.0.1 to a country and an AS.
GEOIP_SPEC = {"geo.mmdb": {"type": "GeoLite2-Country", "networks": [
    ["127.0.0.0/8", {"country": {"iso_code": "AQ"}, "autonomous_system_number": 64512,
                     "autonomous_system_organization": "loopback"}]]}}
ATTACK_RULES = """attack_version = "18.1"
[[technique]]
id = "T1059"
name = "Command and Scripting Interpreter"
tactics = ["execution"]
[[technique.command]]
programs = ["echo", "cat"]
[[technique]]
id = "T1110"
name = "Brute Force"
tactics = ["credential-access"]
min_login_attempts = 2
"""

# Every option of `analyze --help` -> the arguments that give it a non-default value ("{cfg}"
# is the cowrie.cfg above, "{out}" the run's output folder).
OPTION_VALUES = {
    "--out": ["{out}"],
    "--threads": ["1"],
    "--idle-timeout": ["0.5"],  # some sessions then end by idle timeout
    "--auth-timeout": ["1"],
    "--cowrie-cfg": ["{cfg}"],
    "--attack-rules": ["{rules}"],
    "--geoip": ["{geoip}"],
    "--novelty-days": ["1"],  # examples/logs has no history: only report.html's facts show it
    "--no-analyses": [],
    "--max-line-bytes": ["2000"],  # some lines of examples/logs are longer
    "--max-file-bytes": ["40000"],  # examples/logs/cowrie.json is 54 KB
    "--max-recording-bytes": ["4000"],  # two recordings are longer
    "--stats": [],
    "--quiet": [],
    "--memory-limit": ["64K"],  # both engines spill: the sessions reach the writers from disk
    "--tmp-dir": ["{spill}"],
    "--sessions": ["day"],  # sessions/day=*/sessions.jsonl instead of sessions.jsonl
}

# Options of analyze that hadoop does not take, and why (docs/CLI.md says the same).
ANALYZE_ONLY = {
    "--state": "incremental runs keep a state on one machine; a cluster re-reads its inputs",
}

# The runs: every option is in at least one ("--out" is in each).
RUNS = {
    "analyses": [o for o in OPTION_VALUES if o != "--no-analyses"],
    "no-analyses": ["--out", "--no-analyses", "--idle-timeout", "--max-file-bytes", "--quiet"],
}


def help_options(cb_bin, command: str) -> dict:
    """Long option name -> its default as `command --help` shows it (None without one)."""
    text = cbtest.run_cb(cb_bin, command, "--help").stdout.decode()
    found = {}
    for line in text.splitlines():
        m = re.match(r"^\s+(?:-\w,)?(--[a-z][\w-]*)(.*)$", line)
        if not m or m.group(1) == "--help":
            continue
        signature = m.group(2).strip().split("  ")[0]
        d = re.search(r"=([^\s=\]]+)$", signature)
        found[m.group(1)] = d.group(1) if d else None
    return found


def test_every_analyze_option_has_a_value_and_is_taken_by_hadoop(cb_bin):
    analyze = help_options(cb_bin, "analyze")
    assert {"--out", "--idle-timeout", "--no-analyses", "--max-line-bytes"} <= set(analyze), analyze
    for opt in ANALYZE_ONLY:
        assert opt in analyze, f"{opt} is no analyze option: remove it from ANALYZE_ONLY"
        analyze.pop(opt)
    missing = sorted(set(analyze) - set(OPTION_VALUES))
    assert not missing, f"add these analyze options to OPTION_VALUES (a non-default value): {missing}"
    assert not sorted(set(OPTION_VALUES) - set(analyze)), "OPTION_VALUES names options analyze no longer has"
    assert set(OPTION_VALUES) == {o for opts in RUNS.values() for o in opts}
    hadoop = help_options(cb_bin, "hadoop")
    assert not sorted(set(analyze) - set(hadoop)), f"hadoop lacks {sorted(set(analyze) - set(hadoop))}"
    assert not set(ANALYZE_ONLY) & set(hadoop), "hadoop takes an option listed as analyze-only"
    for opt, default in analyze.items():
        assert hadoop[opt] == default, f"{opt}: default {default} for analyze, {hadoop[opt]} for hadoop"
        if default is not None and OPTION_VALUES[opt]:
            assert OPTION_VALUES[opt][0] != default, f"{opt}: the test's value is the default"


def args_of(run: str, out: Path, cfg: Path) -> list:
    spill = out.parent / f"{out.name}-spill"
    spill.mkdir(exist_ok=True)
    args = []
    for opt in RUNS[run]:
        args += [opt, *(v.format(out=out, cfg=cfg, spill=spill, rules=rules_of(cfg), geoip=geoip_of(cfg))
                        for v in OPTION_VALUES[opt])]
    return args


# The options that only change how a run is made, not what it writes (checked otherwise).
NO_OUTPUT_EFFECT = {"--out", "--threads", "--stats", "--quiet", "--memory-limit", "--tmp-dir"}



def assert_same_outputs(local: Path, hadoop: Path):
    names = sorted(p.name for p in (local / "tables").glob("*.csv"))
    assert names == sorted(p.name for p in (hadoop / "tables").glob("*.csv"))
    for n in names:
        assert (local / "tables" / n).read_bytes() == (hadoop / "tables" / n).read_bytes(), n
    a = cbtest.sessions_jsonl(local).splitlines()
    b = cbtest.sessions_jsonl(hadoop).splitlines()
    assert a and sorted(a) == sorted(b)
    assert (local / "sessions").exists() == (hadoop / "sessions").exists()
    for name in ("hints.json", "summary.json", "report.html", "attack_layer.json", "iocs/iocs.csv", "iocs/stix2.json",
                 "iocs/misp.json"):
        assert (local / name).exists() == (hadoop / name).exists(), name
        if (local / name).exists():
            assert (local / name).read_bytes() == (hadoop / name).read_bytes(), name


def outputs(out: Path) -> dict:
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    files.pop("cowrie.sqlite", None)  # its rows are in the other files
    return files


@pytest.fixture(scope="module")
def cfg(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("cfg") / "cowrie.cfg"
    p.write_text(COWRIE_CFG)
    rules_of(p).write_text(ATTACK_RULES)
    (p.parent / "geo.json").write_text(json.dumps(GEOIP_SPEC))
    subprocess.run([cbtest.tools_python(), str(cbtest.REPO / "tests/e2e/tools/make_test_mmdb.py"), str(p.parent),
                    str(p.parent / "geo.json")], check=True, capture_output=True, timeout=120)
    return p


def rules_of(cfg: Path) -> Path:
    return cfg.parent / "attack.toml"


def geoip_of(cfg: Path) -> Path:
    return cfg.parent / "geo.mmdb"


def test_each_value_changes_the_outputs(cb_bin, cfg, tmp_path):
    default = cbtest.analyze(cb_bin, LOGS, tmp_path / "default")
    assert default.rc == 0, default.explain()
    for opt, values in OPTION_VALUES.items():
        if opt in NO_OUTPUT_EFFECT:
            continue
        args = [v.format(cfg=cfg, rules=rules_of(cfg), geoip=geoip_of(cfg)) for v in values]
        r = cbtest.analyze(cb_bin, LOGS, tmp_path / opt.strip("-"), opt, *args)
        assert r.rc in (0, 1), r.explain()
        assert outputs(r.out) != outputs(default.out), f"{opt} {args} changes nothing on examples/logs"


@pytest.mark.parametrize("run", sorted(RUNS))
def test_hadoop_gives_analyze_outputs_with_every_option(cb_bin, cfg, tmp_path, run):
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("java and mvn are needed for the Hadoop engine (make deps installs them)")
    procs, outs = {}, {}
    for engine in ("analyze", "hadoop"):
        outs[engine] = tmp_path / engine
        procs[engine] = cbtest.run_cb(cb_bin, engine, LOGS, *args_of(run, outs[engine], cfg), timeout=900)
    for engine, p in procs.items():
        assert p.returncode == 1, f"{engine}: rc {p.returncode} (lines over --max-line-bytes make it 1)\n" + \
            p.stderr.decode(errors="replace")[-4000:]
        assert p.stdout == b"", f"{engine}: --quiet prints no summary"
        if "--stats" in RUNS[run]:
            assert b"# phase" in p.stderr, f"{engine}: --stats prints the phases"
    assert_same_outputs(outs["analyze"], outs["hadoop"])
    summary = json.loads((outs["hadoop"] / "summary.json").read_text())
    assert summary["inputs"]["limits"]["max_file_bytes"] == 40000
    assert summary["options"]["idle_timeout_s"] == 0.5
    if run == "analyses":
        hints = (outs["hadoop"] / "hints.json").read_text()
        assert "cfg-hostname" in hints, "--cowrie-cfg reached the hints"
        attack = (outs["hadoop"] / "tables" / "attack.csv").read_text()
        assert "T1059" in attack and "T1082" not in attack, "--attack-rules reached job 2's tasks"
        campaigns = (outs["hadoop"] / "tables" / "campaigns.csv").read_text()
        assert "AQ:" in campaigns and "AS64512 loopback:" in campaigns, "--geoip reached job 2's tasks"
    else:
        assert not (outs["hadoop"] / "tables" / "forks.csv").exists(), "--no-analyses: no analysis tables"
        assert not (outs["hadoop"] / "hints.json").exists(), "--no-analyses: no hints"
