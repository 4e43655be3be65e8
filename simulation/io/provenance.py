"""Where an output came from: the commit of the code that wrote it, recorded in every manifest."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_revision() -> str | None:
    """The repository's commit, when the package runs from a git checkout (``None`` otherwise)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
