"""Start Cowrie (``twistd cowrie``) for the loopback-only e2e run.

Usage (from the Cowrie working directory, with the venv's python):
    python run_cowrie.py [twistd options...]
which runs ``twistd [options...] cowrie``.

One change to stock Cowrie, made here at run time and nowhere else:
Cowrie's wget/curl/tftp refuse every non-global address, loopback included
(cowrie.core.network._is_blocked). The e2e run must keep every address on
127.0.0.0/8, so the drop server the attacker downloads from is on 127.0.0.1.
This launcher replaces _is_blocked so that 127.0.0.0/8 is *allowed* and every
other address is *blocked* (stricter than stock: nothing can leave loopback).
Set E2E_STOCK_BLOCKLIST=1 to keep Cowrie's own check; downloads from
127.0.0.1 then end in cowrie.session.file_download.failed.
"""

from __future__ import annotations

import ipaddress
import os
import sys

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def _loopback_only(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True (blocked) for every address outside 127.0.0.0/8."""
    return not (ip.version == 4 and ip in LOOPBACK)


def main() -> None:
    if os.environ.get("E2E_STOCK_BLOCKLIST", "") != "1":
        from cowrie.core import network

        network._is_blocked = _loopback_only

    from twisted.scripts.twistd import run

    sys.argv = ["twistd", *sys.argv[1:], "cowrie"]
    run()


if __name__ == "__main__":
    main()
