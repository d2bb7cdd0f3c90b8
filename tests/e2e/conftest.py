"""Browser fixtures: one Agora server and one Chromium for the session, a recorder for the audit."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.e2e.audit import Recorder
from tests.e2e.harness import Site, chromium_launch_args, run_site


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Audit the pages after every journey has visited them."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/test_audit.py"))


@pytest.fixture(scope="session")
def agora_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with run_site(tmp_path_factory.mktemp("agora")) as site:
        yield site


@pytest.fixture(scope="session")
def base_url(agora_server: Site) -> str:
    return agora_server.url


@pytest.fixture(scope="session")
def recorder(agora_server: Site) -> Recorder:
    return Recorder(origin=agora_server.url)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, **chromium_launch_args()}


@pytest.fixture(scope="session")
def browser(launch_browser: Callable[[], Browser]) -> Iterator[Browser]:
    # Shadows the unit tests' `browser` (a TestClient) with pytest-playwright's real one.
    chromium = launch_browser()
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], recorder: Recorder
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, with every page and request recorded for the audit."""

    def make(*, record_requests: bool = True, **kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)  # fail fast: every page here answers in milliseconds
        recorder.attach(context, requests=record_requests)
        return context

    return make
