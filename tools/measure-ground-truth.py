#!/usr/bin/env python3
"""Measures the leave-type hints on injected ground truth (docs/ANALYSES.md, "Ground truth").

Usage: tools/measure-ground-truth.py [BINARY]   (default build/cowrie-batch)
Bases: examples/logs and every wild source under ../shared/samples (when present); 3 seeds each.
For each setting (sessions per script, share that leaves at the known step) it prints how many
injected steps a medium or high hint names, how many of those are high, and the artefacts.
"""
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import cbtest  # noqa: E402
import test_leave_ground_truth as gt  # noqa: E402

SETTINGS = [(40, 0.5), (20, 0.3), (10, 0.5), (10, 0.2), (6, 0.5)]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "build" / "cowrie-batch")
    bases = [REPO / "examples" / "logs"] + [f for f in cbtest.sample_folders() if f.parent.name == "wild"]
    for n, share in SETTINGS:
        total = named = artefacts = high = 0
        for base, seed in itertools.product(bases, range(3)):
            with tempfile.TemporaryDirectory() as td:
                td = Path(td)
                shutil.copytree(base, td / "logs")
                events, detect, quiet = gt.inject(seed * 7 + len(base.name), n, share)
                events.sort(key=lambda e: e["timestamp"])
                (td / "logs" / "cowrie.json.injected").write_text("".join(json.dumps(e) + "\n" for e in events))
                subprocess.run([binary, "analyze", str(td / "logs"), "-o", str(td / "out"), "--quiet"], check=False)
                hints = json.loads((td / "out" / "hints.json").read_text())["hints"]
                found, wrong = gt.judge(hints, detect, quiet)
                total += len(detect)
                named += len(found)
                artefacts += len(wrong)
                high += sum(1 for h in hints if h["id"].startswith("fork-") and h["severity"] == "high"
                            and gt.blamed_text(h) in detect)
                for w in wrong:
                    print(f"  artefact on {base.name}: {w}")
        print(f"sessions/script {n}, leave share {share}: named {named}/{total}, high {high}, artefacts {artefacts} "
              f"({len(bases)} bases x 3 seeds)")


if __name__ == "__main__":
    main()
