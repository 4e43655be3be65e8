"""The README's screenshots of the view: docs/img/view_2026.png, view_2031.png (live) and view_runs.png.

Usage:  python benchmarks/view_screenshots.py

It runs the browser tests of ``ecodistrict view`` (tests/test_view.py: the Formigine baseline in
headless Chromium, first year and after five steps; tests/test_view_runs.py: the run folders of two
scenarios) in a temporary folder and copies the screenshots they took into docs/img, so that the
pictures are exactly what the tests saw.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ("view_2026.png", "view_2031.png", "view_runs.png")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_view.py",
                               "tests/test_view_runs.py", f"--basetemp={tmp}"], cwd=ROOT)
        if done.returncode:
            print("the browser test failed: no screenshot copied", file=sys.stderr)
            return done.returncode
        for name in SHOTS:
            source = next(Path(tmp).glob(f"*/{name}"))
            shutil.copyfile(source, ROOT / "docs" / "img" / name)
            print(f"wrote docs/img/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
