"""After the journeys: the pages they saw pass axe (light and dark) and vnu; no foreign request.

These run last (see conftest) and judge what the journeys recorded, so the audit covers the
pages a person met, logged in and out, error pages included. vnu reads every distinct page; axe
reads one page of each kind (same template, status, login and elements), since its checks
depend on structure and styles, not on which post is shown.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from app.config import PROJECT_DIR
from tests.e2e.audit import AXE_JS, VNU_JAR, Recorder, Snapshot, axe_violations, vnu_errors


@pytest.fixture(scope="module", autouse=True)
def checkers_installed() -> None:
    missing = [path.name for path in (AXE_JS, VNU_JAR) if not path.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: `make test` (or `make browser-tools`) installs them"
        )


@pytest.fixture(scope="module")
def snapshots(recorder: Recorder) -> list[Snapshot]:
    pages = list(recorder.pages.values())
    if not pages:
        pytest.fail("no pages were recorded: run the audit together with the journeys")
    return pages


def test_audit_covers_every_kind_of_page(snapshots: list[Snapshot]) -> None:
    seen = {(page.status, page.logged_in) for page in snapshots}
    for status in (200, 404):
        assert (status, False) in seen and (status, True) in seen, (status, sorted(seen))
    for status in (400, 403, 422):
        assert any(code == status for code, _ in seen), (status, sorted(seen))


def test_axe_finds_no_violations_in_light_or_dark(
    browser: Browser, recorder: Recorder, snapshots: list[Snapshot]
) -> None:
    pages = recorder.distinct_pages()  # one of each kind among `snapshots`
    violations = axe_violations(browser, pages)
    report = "\n".join(f"{page}:\n  " + "\n  ".join(found) for page, found in violations.items())
    assert not violations, (
        f"axe failed on {len(violations)} of {len(pages)} pages x 2 themes:\n{report}"
    )


def test_vnu_finds_no_html_errors(snapshots: list[Snapshot], tmp_path: Path) -> None:
    errors = vnu_errors(snapshots, tmp_path, css=[PROJECT_DIR / "static" / "css" / "agora.css"])
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors)


def test_no_request_left_the_site(recorder: Recorder) -> None:
    assert recorder.requests, "no requests were recorded"
    assert recorder.foreign_requests() == []
