#!/usr/bin/env python3
"""Checks that each layer of cb_core includes only the layers below it (docs/ARCHITECTURE.md).

A file in core/include/cb/<layer>/ or core/src/<layer>/ may include "cb/<other>/..." only when
<other> comes before <layer> in LAYERS, or is <layer> itself. Run by make test (ctest).
usage: tools/check-layers.py   (exit 1 and one line per offending include)
"""
import re
import sys
from pathlib import Path

LAYERS = ["util", "input", "parse", "session", "analysis", "tty", "engine", "output"]
REPO = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s+"cb/([a-z_]+)/', re.M)


def layer_of(path: Path) -> str | None:
    rel = path.relative_to(REPO / "core").parts
    folder = rel[2] if rel[0] == "include" else rel[1]
    return folder if folder in LAYERS else None


def main() -> int:
    bad = []
    files = [p for p in (REPO / "core").rglob("*") if p.suffix in (".hpp", ".cpp")]
    for path in sorted(files):
        layer = layer_of(path)
        if layer is None:
            continue
        text = path.read_text(encoding="utf-8")
        for m in INCLUDE.finditer(text):
            other = m.group(1)
            if other in LAYERS and LAYERS.index(other) > LAYERS.index(layer):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path.relative_to(REPO)}:{line}: layer {layer} includes layer {other}, which is above it")
    for b in bad:
        print(b)
    print(f"check-layers: {len(files)} files, {len(bad)} includes against the layer order {' < '.join(LAYERS)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
