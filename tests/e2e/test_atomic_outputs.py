"""Outputs are never half written (issue #11).

A run writes into `.OUTDIR.tmp-PID` beside OUTDIR and swaps it into place at the end. Whatever
stops a run (a file-size limit, a full disk, SIGINT, SIGTERM, SIGKILL, a read-only folder) must
leave the previous OUTDIR byte for byte as it was and no temporary folder behind (SIGKILL's is
removed by the next run). An OUTDIR holding files cowrie-batch did not write is refused (exit 2)
and left untouched. These tests run as root (CI) and as a normal user alike: what root may do
anyway (write into a read-only folder) is tried as user 65534 through setpriv.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import cbtest

EXAMPLES = cbtest.REPO / "examples" / "logs"
SMALL = EXAMPLES / "cowrie.json.2026-11-26"


def tree(root: Path) -> dict:
    """Every file and folder under root: relative path -> sha256 of the bytes (None for a folder)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def leftovers(out: Path) -> list:
    """Hidden temporary or set-aside folders of `out` in its parent."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def big_log(path: Path, copies: int) -> Path:
    """The example logs `copies` times over, each copy's sessions renamed (new ids, same content)."""
    lines = b"".join((EXAMPLES / f).read_bytes() for f in ("cowrie.json.2026-11-26", "cowrie.json")).splitlines(True)
    pat = re.compile(rb'"session":\s*"([^"]*)"')
    with open(path, "wb") as f:
        for k in range(copies):
            tag = b"-%x" % k
            f.write(b"".join(pat.sub(lambda m: b'"session":"' + m.group(1) + tag + b'"', l) for l in lines))
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """About 150 MB of events: its run writes for a second or more, long enough to be interrupted."""
    return big_log(tmp_path_factory.mktemp("big") / "cowrie.json", 2000)


def previous(cb_bin, out: Path) -> dict:
    """A finished earlier run in `out`, and its tree."""
    res = cbtest.analyze(cb_bin, SMALL, out)
    assert res.rc == 0, res.explain()
    return tree(out)


def assert_untouched(out: Path, before: dict):
    assert tree(out) == before, "the previous OUTDIR changed"
    assert leftovers(out) == []


# ---- replacing an earlier run's OUTDIR -------------------------------------------------------


def test_rerun_replaces_the_whole_folder(cb_bin, tmp_path):
    out = tmp_path / "out"
    previous(cb_bin, out)
    assert (out / "tables" / "forks.csv").exists()
    earlier = len((out / "sessions.jsonl").read_bytes().splitlines())
    res = cbtest.analyze(cb_bin, EXAMPLES, out, "--no-analyses")
    assert res.rc == 0, res.explain()
    assert not (out / "tables" / "forks.csv").exists(), "a table of the earlier run survived the swap"
    assert len(res.sessions) > earlier
    # no hints were made: no hints.json (an empty one would say there is nothing to fix), and
    # `hints` says why
    assert not (out / "hints.json").exists()
    hints = cbtest.run_cb(cb_bin, "hints", out)
    assert hints.returncode == 2 and b"--no-analyses" in hints.stderr, hints.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_private_outdir_stays_private(cb_bin, tmp_path):
    out = tmp_path / "out"
    previous(cb_bin, out)
    out.chmod(0o700)
    assert cbtest.analyze(cb_bin, SMALL, out).rc == 0
    assert out.stat().st_mode & 0o777 == 0o700


def test_symlinked_outdir_is_replaced_behind_the_link(cb_bin, tmp_path):
    real = tmp_path / "real"
    previous(cb_bin, real)
    earlier = len((real / "sessions.jsonl").read_bytes().splitlines())
    (tmp_path / "link").symlink_to(real)
    res = cbtest.analyze(cb_bin, EXAMPLES, tmp_path / "link")
    assert res.rc == 0, res.explain()
    assert (tmp_path / "link").is_symlink() and len((real / "sessions.jsonl").read_bytes().splitlines()) > earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


# ---- the safety rule ------------------------------------------------------------------------


@pytest.mark.parametrize("foreign", ["notes.txt", "tables/my.txt", "tables/sub/", "photos/"])
def test_folder_with_foreign_files_is_refused_and_untouched(cb_bin, tmp_path, foreign):
    out = tmp_path / "out"
    previous(cb_bin, out)
    target = out / foreign
    if foreign.endswith("/"):
        target.mkdir()
    else:
        target.write_text("mine")
    before = tree(out)
    res = cbtest.analyze(cb_bin, EXAMPLES, out)
    assert res.rc == 2, res.explain()
    assert "refusing to replace the output folder" in res.err and str(target).rstrip("/") in res.err, res.err
    assert_untouched(out, before)


def test_current_folder_and_home_like_folders_are_refused(cb_bin, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    shutil.copy(SMALL, tmp_path / "cowrie.json")
    before = tree(tmp_path)
    for out, cwd in ((".", tmp_path), (tmp_path, cbtest.REPO)):  # -o . and -o ~
        res = cbtest.analyze(cb_bin, tmp_path / "cowrie.json", out, cwd=cwd)
        assert res.rc == 2, res.explain()
        assert f"it holds {tmp_path}/" in res.err and "which cowrie-batch did not write" in res.err, res.err
        assert tree(tmp_path) == before
    # even an empty current folder: the swap would move it from under the shell
    empty = tmp_path / "empty"
    empty.mkdir()
    res = cbtest.analyze(cb_bin, tmp_path / "cowrie.json", ".", cwd=empty)
    assert res.rc == 2 and "current folder" in res.err, res.explain()
    assert list(empty.iterdir()) == []


def test_a_file_as_outdir_is_refused(cb_bin, tmp_path):
    (tmp_path / "out").write_text("a file")
    res = cbtest.analyze(cb_bin, SMALL, tmp_path / "out")
    assert res.rc == 2 and "is not a folder" in res.err, res.explain()
    assert (tmp_path / "out").read_text() == "a file"


def test_empty_folder_is_accepted(cb_bin, tmp_path):
    (tmp_path / "out").mkdir()
    res = cbtest.analyze(cb_bin, SMALL, tmp_path / "out")
    assert res.rc == 0, res.explain()
    assert (res.out / "summary.json").exists()


# ---- limits and full disks ------------------------------------------------------------------


def test_file_size_limit_is_exit_3_naming_the_file(cb_bin, big, tmp_path):
    out = tmp_path / "out"
    before = previous(cb_bin, out)
    limit = 4 << 20  # the previous run's files are smaller, the big run's larger

    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = [str(cb_bin), "analyze", str(big), "-o", str(out), "-q"]
    p = subprocess.run(args, capture_output=True, preexec_fn=limit_files, timeout=cbtest.RUN_TIMEOUT)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 3, err
    errors = [l for l in err.splitlines() if "error:" in l]
    assert errors and all(re.search(rf"cannot write {re.escape(str(out))}/[\w.]+: File too large", l) for l in errors), err
    assert ".tmp-" not in err, "the message names the temporary folder instead of OUTDIR: " + err
    assert "is as it was before the run" in err, err
    assert_untouched(out, before)


FULL_DISK_SCRIPT = r"""
mount -t tmpfs -o size=6m cb-full "$MNT" || exit 97
set -e
"$CB" analyze "$SMALL" -o "$MNT/out" -q
(cd "$MNT/out" && find . -type f -exec sha256sum {} + | sort) > "$WORK/before"
set +e
"$CB" analyze "$BIG" -o "$MNT/out" -q 2> "$WORK/err"
echo $? > "$WORK/rc"
(cd "$MNT/out" && find . -type f -exec sha256sum {} + | sort) > "$WORK/after"
ls -A "$MNT" > "$WORK/ls"
"""


def in_mount_namespace(script: str, **env):
    """Runs `script` in a mount namespace of its own (unshare -m; -r for a normal user): its
    mounts disappear with it, whatever happens to the test."""
    ns = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    env = {**os.environ, **{k: str(v) for k, v in env.items()}}
    p = subprocess.run([*ns, "sh", "-c", script], env=env, capture_output=True, timeout=cbtest.RUN_TIMEOUT)
    if p.returncode == 97 or (p.returncode != 0 and b"unshare" in p.stderr):
        # root here and in CI can; a container without CAP_SYS_ADMIN or user namespaces cannot
        pytest.skip("cannot mount a tmpfs in a mount namespace here: " + p.stderr.decode(errors="replace")[-300:])
    assert p.returncode == 0, p.stderr.decode(errors="replace")


def test_full_disk_is_exit_3_naming_the_file(cb_bin, big, tmp_path):
    """A 6 MB tmpfs holds the previous OUTDIR and the new run's temporary folder."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    in_mount_namespace(FULL_DISK_SCRIPT, MNT=mnt, CB=cb_bin, SMALL=SMALL, BIG=big, WORK=tmp_path)
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == "3", err
    assert re.search(rf"cannot write {re.escape(str(mnt))}/out/[\w.]+: No space left on device", err), err
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    assert (tmp_path / "ls").read_text().split() == ["out"]
    assert list(mnt.iterdir()) == []  # the mount is gone with its namespace


MOUNT_POINT_SCRIPT = r"""
mount -t tmpfs cb-mnt "$OUT" || exit 97
"$CB" analyze "$SMALL" -o "$OUT" -q 2> "$WORK/err"
echo $? > "$WORK/rc"
ls -A "$OUT" > "$WORK/ls"
"""


def test_mount_point_outdir_is_refused_before_the_run(cb_bin, tmp_path):
    """A rename cannot move a mount point: said at the start, not after the run."""
    out = tmp_path / "out"
    out.mkdir()
    in_mount_namespace(MOUNT_POINT_SCRIPT, OUT=out, CB=cb_bin, SMALL=SMALL, WORK=tmp_path)
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == "2", err
    assert f"the output folder {out} is a mount point" in err, err
    assert (tmp_path / "ls").read_text() == "" and leftovers(out) == []


# ---- signals --------------------------------------------------------------------------------


def start(cb_bin, inputs, out: Path, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    args = [str(cb_bin), "analyze", *map(str, inputs), "-o", str(out), "-q", "-t", "2"]
    return subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(cond, proc: subprocess.Popen, what: str):
    deadline = time.monotonic() + cbtest.RUN_TIMEOUT
    while not cond():
        assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def temp_file(out: Path, name: str) -> bool:
    return any((out.parent / t / name).exists() for t in leftovers(out))


@pytest.mark.parametrize("sig,rc", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_writing_leaves_the_previous_outdir(cb_bin, big, tmp_path, sig, rc):
    out = tmp_path / "out"
    before = previous(cb_bin, out)
    proc = start(cb_bin, [big], out)
    wait_for(lambda: temp_file(out, "cowrie.sqlite.tmp"), proc, "the outputs were being written")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == rc, err.decode(errors="replace")
    assert b"interrupted" in err, err
    assert_untouched(out, before)


@pytest.mark.parametrize("sig,rc", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_reading_leaves_the_previous_outdir(cb_bin, tmp_path, sig, rc):
    """stdin held open: the run is certainly in the middle of its input when the signal comes."""
    out = tmp_path / "out"
    before = previous(cb_bin, out)
    proc = start(cb_bin, ["-"], out, stdin=subprocess.PIPE)
    proc.stdin.write(SMALL.read_bytes())
    proc.stdin.flush()
    wait_for(lambda: leftovers(out), proc, "the temporary folder appeared")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == rc, err.decode(errors="replace")
    assert_untouched(out, before)


def test_killed_run_is_cleaned_up_by_the_next_one(cb_bin, big, tmp_path):
    out = tmp_path / "out"
    before = previous(cb_bin, out)
    proc = start(cb_bin, [big], out)
    wait_for(lambda: temp_file(out, "cowrie.sqlite.tmp"), proc, "the outputs were being written")
    proc.kill()  # like a crash: nothing runs after it
    proc.communicate(timeout=60)
    assert tree(out) == before
    assert leftovers(out) == [f".out.tmp-{proc.pid}"]
    res = cbtest.analyze(cb_bin, EXAMPLES, out)
    assert res.rc == 0, res.explain()
    assert leftovers(out) == []


@pytest.mark.parametrize("sig,rc", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_leaves_no_spill_folder_and_no_new_state(cb_bin, big, tmp_path, sig, rc):
    """A spilled --state run stopped by a signal removes its spill folder and the new state it was
    writing, not only the temporary OUTDIR (they stayed, one more each time, in a month of cron runs
    with interruptions)."""
    out, spill, state = tmp_path / "out", tmp_path / "spill", tmp_path / "state"
    spill.mkdir()
    proc = subprocess.Popen([str(cb_bin), "analyze", str(big), "-o", str(out), "-q", "-t", "2", "--state", str(state),
                             "--memory-limit", "16M", "--tmp-dir", str(spill)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: any(spill.iterdir()) and (tmp_path / f"state.new-{proc.pid}").exists(), proc,
             "the spill folder and the new state appeared")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == rc, err.decode(errors="replace")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spill"], sorted(tmp_path.iterdir())
    assert not any(spill.iterdir()), [(str(p), sorted(p.iterdir()) if p.is_dir() else "") for p in spill.iterdir()]


def dead_pids(n: int) -> list:
    """n process ids that no process has now (below any pid_max)."""
    found = []
    for pid in range(30000, 2, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            found.append(pid)
            if len(found) == n:
                return found
        except PermissionError:
            pass
    raise AssertionError("no free process ids")


def test_folders_of_killed_runs_are_removed_by_a_later_run(cb_bin, tmp_path):
    """What SIGKILL leaves (a new or set-aside state, a spill folder) a later run removes: a state's
    folder of state files when its process is gone and it is not half of a stopped swap; a spill
    folder when its process is gone and it was left untouched for 12 hours (--tmp-dir may be shared
    with runs of another PID namespace, which this one cannot see). A user's copies are kept: a
    date for a number, a suffix, a file of theirs inside."""
    out, spill, state = tmp_path / "out", tmp_path / "spill", tmp_path / "state"
    spill.mkdir()
    assert cbtest.analyze(cb_bin, SMALL, out, "--state", state).rc == 0
    a, b, c, d, e = dead_pids(5)
    removed = [f"state.new-{a}", f"state.old-{b}"]
    kept = [f"state.new-{c}", f"state.old-{c}",  # one process's pair: a swap stopped between its renames
            f"state.old-20240101", f"state.new-{d}.bak", f"state.old-{e}", f"state.new-{os.getppid()}", "state.new-x"]
    for name in removed + kept:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest").write_text("left\n")
    (tmp_path / f"state.old-{e}" / "notes.txt").write_text("mine\n")
    long_ago, hours_ago = time.time() - 13 * 3600, time.time() - 2 * 3600
    spills = {f"cowrie-batch-spill-{a}.aaaaaa": long_ago, f"cowrie-batch-spill-{a}.bbbbbb": hours_ago,
              f"cowrie-batch-spill-{os.getppid()}.cccccc": long_ago}
    for name, when in spills.items():
        (spill / name).mkdir()
        (spill / name / "keys-000000").write_bytes(b"x")
        os.utime(spill / name, (when, when))
    res = cbtest.analyze(cb_bin, EXAMPLES, out, "--state", state, "--tmp-dir", spill)
    assert res.rc == 0, res.explain()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", "spill", "state"] + kept)
    assert sorted(p.name for p in spill.iterdir()) == sorted(list(spills)[1:])


def test_a_swap_stopped_then_the_state_folder_made_again_is_finished(cb_bin, tmp_path):
    """Killed between the state's two renames, then `mkdir -p STATE` by a wrapper: the empty
    folder does not hide the whole new state beside it; the next run puts it in place."""
    out, state = tmp_path / "out", tmp_path / "state"
    first = cbtest.analyze(cb_bin, SMALL, out, "--state", state)
    assert first.rc == 0
    shutil.copytree(state, tmp_path / "state.old-4242")  # as the kill leaves them
    os.rename(state, tmp_path / "state.new-4242")
    state.mkdir()
    again = cbtest.analyze(cb_bin, SMALL, tmp_path / "again", "--state", state, "--stats")
    assert again.rc == 0, again.explain()
    assert "read 0 of 1 log" in again.err, again.err
    assert not (tmp_path / "state.new-4242").exists() and not (tmp_path / "state.old-4242").exists()


def test_signal_outside_a_run_keeps_its_usual_action(cb_bin, tmp_path):
    """Only a run writing OUTDIR takes SIGINT; `mr` reading stdin dies of it as before."""
    proc = subprocess.Popen([str(cb_bin), "mr", "map-sessions"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGINT


# ---- read-only folders ----------------------------------------------------------------------


@pytest.fixture
def unprivileged(cb_bin):
    """(run, root): run(args) runs cowrie-batch as a user without root's powers (user 65534 via
    setpriv when the tests run as root); root is a world-readable folder for its files."""
    root = Path(tempfile.mkdtemp(prefix="cb-ro-"))
    root.chmod(0o755)
    shutil.copy(cb_bin, root / "cowrie-batch")
    shutil.copy(SMALL, root / "cowrie.json")
    (root / "cowrie.json").chmod(0o644)
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] if os.geteuid() == 0 else []

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, str(root / "cowrie-batch"), "analyze", str(root / "cowrie.json"), "-q", *map(str, args)],
                              capture_output=True, timeout=cbtest.RUN_TIMEOUT, cwd=root)

    def writable_dir(name: str) -> Path:
        d = root / name
        d.mkdir()
        if os.geteuid() == 0:
            os.chown(d, 65534, 65534)
        return d

    yield run, writable_dir
    for dirpath, dirs, _ in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o755)
    shutil.rmtree(root)


def test_read_only_parent_is_exit_3_and_outdir_untouched(unprivileged):
    run, writable_dir = unprivileged
    parent = writable_dir("parent")
    out = parent / "out"
    p = run("-o", out)
    assert p.returncode == 0, p.stderr
    before = tree(out)
    parent.chmod(0o555)
    p = run("-o", out)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 3, err
    assert f"beside the output folder {out}: Permission denied" in err, err
    assert tree(out) == before and leftovers(out) == []
    p = run("-o", parent / "new")
    assert p.returncode == 3 and f"cannot create the output folder {parent}/new: Permission denied" in p.stderr.decode()


def test_read_only_outdir_is_exit_3_and_untouched(unprivileged):
    run, writable_dir = unprivileged
    out = writable_dir("parent") / "out"
    assert run("-o", out).returncode == 0
    before = tree(out)
    out.chmod(0o555)
    p = run("-o", out)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 3, err
    assert f"cannot write into the output folder {out}: Permission denied" in err, err
    assert tree(out) == before and leftovers(out) == []


# ---- the hadoop command ---------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--collect", "--workdir"])
def test_hadoop_work_folder_inside_outdir_is_refused(cb_bin, tmp_path, flag):
    """The swap would delete a work folder inside OUTDIR (jobs submitted by hand, --keep-work)."""
    out = tmp_path / "out"
    previous(cb_bin, out)
    work = out / ".hadoop-work"
    (work / "sessions").mkdir(parents=True)
    before = tree(out)
    p = cbtest.run_cb(cb_bin, "hadoop", flag, work, SMALL, "-o", out, "--launcher", "/bin/false", "-q")
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 2, err
    assert f"{work} is inside the output folder {out}" in err, err
    assert_untouched(out, before)


# ---- replay --asciicast ---------------------------------------------------------------------


def test_asciicast_is_whole_or_absent(cb_bin, tmp_path):
    rec = max((EXAMPLES / "tty").iterdir(), key=lambda p: p.stat().st_size)
    cast = tmp_path / "s.cast"
    cast.write_text("previous")

    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    p = subprocess.run([str(cb_bin), "replay", str(rec), "--asciicast", str(cast)], capture_output=True,
                       preexec_fn=limit_files, timeout=cbtest.RUN_TIMEOUT)
    assert p.returncode == 3, p.stderr
    assert f"cannot write {cast}: File too large".encode() in p.stderr, p.stderr
    assert cast.read_text() == "previous" and sorted(x.name for x in tmp_path.iterdir()) == ["s.cast"]
    p = cbtest.run_cb(cb_bin, "replay", rec, "--asciicast", cast)
    assert p.returncode == 0, p.stderr
    assert cast.read_text().startswith('{"version": 2') and sorted(x.name for x in tmp_path.iterdir()) == ["s.cast"]


def test_hadoop_workdir_is_removed_only_if_the_run_made_it(cb_bin, tmp_path):
    """--workdir naming a folder with files is refused; an empty one is used and left in place."""
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    p = cbtest.run_cb(cb_bin, "hadoop", "--workdir", full, SMALL, "-o", tmp_path / "out1", "--launcher", "/bin/false", "-q")
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 2, err
    assert f"--workdir {full} exists and is not an empty folder" in err, err
    assert sorted(x.name for x in full.iterdir()) == ["notes.txt"] and (full / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "out1").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    p = cbtest.run_cb(cb_bin, "hadoop", "--workdir", empty, SMALL, "-o", tmp_path / "out2", "--launcher", "/bin/false", "-q")
    assert p.returncode == 3, p.stderr.decode(errors="replace")  # the launcher failed
    assert empty.is_dir()
    assert not (tmp_path / "out2").exists()
