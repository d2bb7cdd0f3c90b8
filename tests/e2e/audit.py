"""What the browser saw: every page and request, then axe-core and vnu over the pages.

Journeys run in ordinary contexts, with the site's strict CSP in force. The recorder keeps the
exact HTML the server sent for each page; the audit replays it later in a context that bypasses
the CSP (axe must be injected as a script) with the real stylesheet, so contrast is measured as
people see it, in the light and the dark theme.
"""

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Response, Route

from app.config import PROJECT_DIR

AXE_JS = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = PROJECT_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa"]
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
# Asking for violations only is what keeps axe quick on pages with many nodes.
# Landmarks and headings are "best practice" in axe, not WCAG tags; we hold pages to them too.
AXE_EXTRA_RULES = [
    "landmark-one-main",
    "landmark-unique",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "region",
    "page-has-heading-one",
    "heading-order",
]
AXE_RUN = """([tags, extra]) => axe.run(document, {
  runOnly: {type: "tag", values: tags},
  rules: Object.fromEntries(extra.map(id => [id, {enabled: true}])),
  resultTypes: ["violations"],
}).then(result => result.violations)"""
AXE_CANARY = '<html lang="en"><title>Canary</title><main><h1>Canary</h1><input></main></html>'
VNU_CANARY = '<!doctype html><html lang="en"><head></head><body><p>No title.</p></body></html>'
SETTLED = "() => document.getAnimations().every(a => a.playState !== 'running')"
# Values that differ on every render but change nothing an auditor cares about.
_VOLATILE = re.compile(r'name="csrf_token" value="[0-9a-f]+"')
_TAG = re.compile(r"<([a-z][a-z0-9]*)([^>]*)>")
_ATTR = re.compile(r'([a-z-]+)(?:="([^"]*)")?')
# Attributes whose value changes what an element is or how it looks, not just what it says.
_STRUCTURAL = {"class", "id", "role", "type", "aria-pressed", "aria-invalid", "aria-current"}


@dataclass
class Snapshot:
    """One page as the server sent it."""

    url: str
    status: int
    html: str
    logged_in: bool

    @property
    def label(self) -> str:
        who = "logged in" if self.logged_in else "anonymous"
        return f"{urlsplit(self.url).path or '/'} [{self.status}, {who}]"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(_VOLATILE.sub("", self.html).encode()).hexdigest()

    @property
    def kind(self) -> tuple[object, ...]:
        """The page's template and state: its path shape, status, login and the elements in it.

        Two feeds with different posts are one kind; a feed with a flash message, a draft badge
        or a pressed vote button is another, since those elements have their own styles.
        """
        tokens = set()
        for tag, attrs in _TAG.findall(self.html):
            tokens.add(tag)
            for name, value in _ATTR.findall(attrs):
                if name == "class":
                    tokens.update(f"{tag}.{c}" for c in value.split())
                elif name in _STRUCTURAL:
                    tokens.add(f"{tag}[{name}={value}]")
                else:
                    tokens.add(f"{tag}[{name}]")
        path = re.sub(r"/\d+", "/N", urlsplit(self.url).path)
        path = re.sub(r"^/users/[^/]+", "/users/NAME", path)
        return (path, self.status, self.logged_in, frozenset(tokens))


@dataclass
class Recorder:
    """Collects every document and every request of the contexts it is attached to."""

    origin: str
    pages: dict[str, Snapshot] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext, requests: bool = True) -> None:
        """Record the context's pages; and its requests, unless it visits other sites on purpose."""
        if requests:
            context.on("request", lambda request: self.requests.append(request.url))
        context.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.resource_type != "document" or request.frame.parent_frame is not None:
            return
        if not response.url.startswith(self.origin) or 300 <= response.status < 400:
            return
        html = response.text()
        snapshot = Snapshot(
            url=response.url,
            status=response.status,
            html=html,
            logged_in='action="/logout"' in html,
        )
        self.pages.setdefault(snapshot.fingerprint, snapshot)

    def distinct_pages(self) -> list[Snapshot]:
        """One snapshot of each kind of page (see `Snapshot.kind`), in the order first seen."""
        kinds: dict[tuple[object, ...], Snapshot] = {}
        for snapshot in self.pages.values():
            kinds.setdefault(snapshot.kind, snapshot)
        return list(kinds.values())

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin + "/")]


def axe_violations(browser: Browser, snapshots: list[Snapshot]) -> dict[str, list[str]]:
    """Run axe on each snapshot in both themes; returns "page (theme)" -> readable violations."""
    # Reduced motion: the theme switch below then needs no wait for colour transitions.
    context = browser.new_context(bypass_csp=True, reduced_motion="reduce")
    context.add_init_script(path=AXE_JS)
    current: dict[str, str] = {}

    def serve(route: Route) -> None:
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=current["html"])
        else:
            route.continue_()

    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.route("**/*", serve)
        # A page with a known fault first: proof that axe is loaded and reporting.
        page.set_content(AXE_CANARY)
        canary = {v["id"] for v in page.evaluate(AXE_RUN, [AXE_TAGS, AXE_EXTRA_RULES])}
        if "label" not in canary:
            found["canary page"] = [f"axe missed the unlabelled input (reported {canary})"]
        for snapshot in snapshots:
            current["html"] = snapshot.html
            page.emulate_media(color_scheme="light")
            page.goto(snapshot.url)
            for scheme in THEMES:
                page.emulate_media(color_scheme=scheme)
                # Judge colours once any transition to the new theme has settled.
                page.wait_for_function(SETTLED)
                violations = page.evaluate(AXE_RUN, [AXE_TAGS, AXE_EXTRA_RULES])
                if violations:
                    found[f"{snapshot.label} ({scheme})"] = [
                        f"{v['id']} ({v['impact']}): {v['help']} -> "
                        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
                        for v in violations
                    ]
    finally:
        context.close()
    return found


def vnu_errors(snapshots: list[Snapshot], folder: Path, css: list[Path]) -> list[str]:
    """Validate every snapshot (and the stylesheets) with one vnu run; returns its errors."""
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for number, snapshot in enumerate(snapshots):
        path = folder / f"page-{number:03d}.html"
        path.write_text(snapshot.html, encoding="utf-8")
        names[path.name] = snapshot.label
    (folder / "canary.html").write_text(VNU_CANARY, encoding="utf-8")
    for sheet in css:
        (folder / sheet.name).write_text(sheet.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [
            # A bigger stack and the quick JIT tier: a one-shot run is ~2x faster this way.
            "java",
            "-Xss4m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--also-check-css",
            "--format",
            "json",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = []
    canary_seen = False
    for message in messages:
        name = Path(urlsplit(message.get("url", "")).path).name
        if name == "canary.html":
            canary_seen = True
            continue
        where = names.get(name, name)
        errors.append(f"{where} line {message.get('lastLine', '?')}: {message.get('message')}")
    if not canary_seen:
        errors.append(f"vnu missed the canary page's missing <title> (exit {result.returncode})")
    if result.returncode not in (0, 1):
        errors.append(f"vnu exited with {result.returncode}: {result.stderr[-2000:]}")
    return errors
