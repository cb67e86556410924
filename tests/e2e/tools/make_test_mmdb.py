"""Writes small MaxMind DB files for the --geoip tests (run with the e2e tools venv: mmdb-writer and
maxminddb from PyPI, tests/e2e/tools-requirements.txt).

usage: make_test_mmdb.py OUTDIR NETWORKS.json

NETWORKS.json: {"<file name>": {"type": "GeoLite2-Country", "networks": [["203.0.113.0/25", {record}], ...]}}
and, optionally, "epoch": the build time the file records (seconds; default now).
Each file is written, then read back with the maxminddb reader: every network's first address
must give its record (so a test never runs on a database the writer got wrong).
"""
import json
import sys
import time
from pathlib import Path

import maxminddb
from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet


def main(out: Path, spec: dict) -> None:
    now = time.time
    for name, db in spec.items():
        time.time = (lambda e=db["epoch"]: float(e)) if "epoch" in db else now  # the writer stamps time.time()
        w = MMDBWriter(ip_version=6, database_type=db["type"], languages=["en"],
                       description={"en": "cowrie-batch test database"}, ipv4_compatible=True)
        for net, record in db["networks"]:
            w.insert_network(IPSet([net]), record)
        path = out / name
        w.to_db_file(str(path))
        with maxminddb.open_database(str(path)) as r:
            assert r.metadata().database_type == db["type"]
            for net, record in db["networks"]:
                got = r.get(str(IPNetwork(net).ip))
                assert got == record, (name, net, got, record)


if __name__ == "__main__":
    main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()))
