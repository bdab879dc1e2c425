"""The one way tests find the shared reference: <repo>/../shared/reference (CI clones `shared/` beside the repository).

Where it is missing, a check that reads it is skipped with the place it looked, except in CI (`CI=true`): there a
missing reference fails, so that a check cannot vanish without anyone noticing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"


def reference_path(*parts: str) -> Path:
    """Where a reference file or folder should be (it may be missing)."""
    return REFERENCE.joinpath(*parts)


def reference_or_none(*parts: str) -> Path | None:
    """The reference at `parts`, or None where it is missing outside CI: for checks that ride along other tests."""
    path = reference_path(*parts)
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"The shared reference is missing: looked for {path} (<repo>/../shared/reference). "
            "CI needs it: check out `shared/` beside the repository.",
            pytrace=False,
        )
    return None


def require_reference(*parts: str) -> Path:
    """The reference at `parts`; a test that needs it is skipped where it is missing, and fails in CI."""
    path = reference_or_none(*parts)
    if path is None:
        pytest.skip(f"The shared reference is not at {reference_path(*parts)} (<repo>/../shared/reference)")
    return path
