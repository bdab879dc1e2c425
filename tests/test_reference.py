"""A missing shared reference skips the checks that read it, except in CI, where it fails them (tests/reference.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import reference


@pytest.fixture
def no_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(reference, "REFERENCE", tmp_path / "reference")
    return tmp_path / "reference"


def test_a_missing_reference_skips_the_test_and_says_where_it_looked(
    no_reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=str(no_reference / "procore" / "endpoints")):
        reference.require_reference("procore", "endpoints")
    assert reference.reference_or_none("procore", "endpoints") is None


def test_in_ci_a_missing_reference_fails_the_test_and_says_where_it_looked(
    no_reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    for look in (reference.require_reference, reference.reference_or_none):
        with pytest.raises(pytest.fail.Exception, match=str(no_reference / "procore" / "endpoints")):
            look("procore", "endpoints")


def test_an_empty_reference_folder_counts_as_missing(no_reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    (no_reference / "procore" / "endpoints").mkdir(parents=True)
    assert reference.reference_or_none("procore", "endpoints") is None


def test_a_present_reference_is_found(no_reference: Path) -> None:
    (no_reference / "procore").mkdir(parents=True)
    (no_reference / "procore" / "RestV10MeGet.json").write_text("{}")
    assert reference.require_reference("procore", "RestV10MeGet.json") == no_reference / "procore" / "RestV10MeGet.json"
