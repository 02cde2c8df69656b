"""The one setting that locates the official OpenAPI documents, and CI's refusal to skip.

``INCHFRAME_OPENAPI_DIR`` names the folder; without it, ``../shared/api/openapi`` beside the
repository is used when present. Without documents the contract tests skip with how to enable
them, unless ``INCHFRAME_REQUIRE_CONTRACT_TESTS=1`` (set by ``.ci/run``) makes them fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import _helpers
from ._helpers import ENABLE_HINT, OPENAPI_ENV, REQUIRE_ENV, load_openapi, openapi_dir

NAME = "portfolio-v5.0.json"


@pytest.fixture
def no_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the setting nor the default folder (as on a fresh clone)."""
    monkeypatch.delenv(OPENAPI_ENV, raising=False)
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    monkeypatch.setattr(_helpers, "DEFAULT_OPENAPI", tmp_path / "absent")
    monkeypatch.setattr(_helpers, "_STARTUP", {})


def _document(folder: Path) -> dict[str, object]:
    folder.mkdir(parents=True, exist_ok=True)
    document: dict[str, object] = {"openapi": "3.1.0", "paths": {}, "x-folder": str(folder)}
    (folder / NAME).write_text(json.dumps(document))
    return document


def test_without_documents_the_test_skips_saying_how_to_enable(no_default: None) -> None:
    assert openapi_dir() is None
    with pytest.raises(pytest.skip.Exception) as skipped:
        load_openapi(NAME)
    assert ENABLE_HINT in str(skipped.value)
    assert "set INCHFRAME_OPENAPI_DIR=<folder with the 1inch OpenAPI JSON documents>" in str(
        skipped.value
    )


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_required_turns_the_skip_into_a_failure(
    no_default: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(REQUIRE_ENV, value)
    with pytest.raises(pytest.fail.Exception) as failed:
        load_openapi(NAME)
    assert ENABLE_HINT in str(failed.value) and REQUIRE_ENV in str(failed.value)


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_required_off_values_still_skip(
    no_default: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(REQUIRE_ENV, value)
    with pytest.raises(pytest.skip.Exception):
        load_openapi(NAME)


def test_the_setting_names_the_folder(
    no_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected = _document(tmp_path / "docs-here")
    monkeypatch.setenv(OPENAPI_ENV, str(tmp_path / "docs-here"))
    assert openapi_dir() == tmp_path / "docs-here"
    assert load_openapi(NAME) == expected


def test_the_default_folder_is_used_when_present(
    no_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = tmp_path / "shared" / "api" / "openapi"
    expected = _document(default)
    monkeypatch.setattr(_helpers, "DEFAULT_OPENAPI", default)
    assert openapi_dir() == default
    assert load_openapi(NAME) == expected


def test_a_wrong_setting_is_reported_not_replaced_by_the_default(
    no_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _document(tmp_path / "default")
    monkeypatch.setattr(_helpers, "DEFAULT_OPENAPI", tmp_path / "default")
    monkeypatch.setenv(OPENAPI_ENV, str(tmp_path / "typo"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        load_openapi(NAME)
    assert str(tmp_path / "typo") in str(skipped.value)
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception):
        load_openapi(NAME)


def test_a_damaged_document_fails_even_without_the_requirement(
    no_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / NAME).write_text("{not json")
    monkeypatch.setenv(OPENAPI_ENV, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="not a readable OpenAPI JSON document"):
        load_openapi(NAME)


def test_ci_requires_the_contract_tests() -> None:
    """``.ci/run`` exports the requirement before the README's test command."""
    script = (_helpers.REPO / ".ci" / "run").read_text().splitlines()
    exports = [i for i, line in enumerate(script) if line.startswith(f"export {REQUIRE_ENV}=1")]
    command = next(i for i, line in enumerate(script) if "python -m pytest" in line)
    assert exports and exports[0] < command


def test_settings_survive_a_per_test_environment_reset(
    no_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Values present when the run started still count after a fixture clears the variables."""
    expected = _document(tmp_path / "at-start")
    monkeypatch.setattr(
        _helpers, "_STARTUP", {OPENAPI_ENV: str(tmp_path / "at-start"), REQUIRE_ENV: "1"}
    )
    assert openapi_dir() == tmp_path / "at-start" and _helpers.contract_tests_required()
    assert load_openapi(NAME) == expected
    monkeypatch.setenv(REQUIRE_ENV, "0")  # an explicit value now wins over the start-up one
    assert not _helpers.contract_tests_required()
