"""`make lighthouse`: Lighthouse's four scores for the feed, a post and the login page.

Starts Agora on a fresh database with the demo content (the same seed as `make screenshots`),
runs Lighthouse (from node_modules, on the installed Chromium) on each page as a phone would see
it, and prints performance, accessibility, best practices and SEO, with what each failed audit
says. The goals (docs/design.md): 100 in the last three, 95 or more in performance. Exits 1
when accessibility, best practices or SEO is under 100; performance depends on the machine's
load, so it is reported against its goal, never failed on.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.config import PROJECT_DIR, Settings
from tests.e2e.demo import FEATURED, seed
from tests.e2e.harness import CHROMIUM_ARGS, run_site

LIGHTHOUSE = PROJECT_DIR / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOALS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def audit(url: str, report: Path) -> dict[str, object]:
    """One Lighthouse run; returns its JSON report."""
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={flags}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROMIUM", "/usr/bin/chromium")},
    )
    result: dict[str, object] = json.loads(report.read_text())
    return result


def failures(result: dict, category: str) -> list[str]:  # type: ignore[type-arg]
    """The titles of the audits that cost the category points."""
    audits = result["audits"]
    weighed = [
        audits[ref["id"]] for ref in result["categories"][category]["auditRefs"] if ref["weight"]
    ]
    return [item["title"] for item in weighed if item["score"] is not None and item["score"] < 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="also write each page's JSON report here")
    options = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: run `make browser-tools`", file=sys.stderr)
        return 2
    ok = True
    with tempfile.TemporaryDirectory() as workdir, run_site(Path(workdir)) as server:
        settings = Settings(
            env="test", database_url=server.database_url, secret_key="x" * 48, bcrypt_rounds=4
        )
        post_ids = seed(settings)
        pages = {"feed": "/", "post": f"/posts/{post_ids[FEATURED]}", "login": "/login"}
        print(f"{'page':<6} " + " ".join(f"{name:>14}" for name in CATEGORIES))
        for name, path in pages.items():
            report = (options.keep or Path(workdir)) / f"lighthouse-{name}.json"
            report.parent.mkdir(parents=True, exist_ok=True)
            result = audit(server.url + path, report)
            scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}  # type: ignore[index]
            print(f"{name:<6} " + " ".join(f"{scores[c]:>14}" for c in CATEGORIES), flush=True)
            for category in CATEGORIES:
                if scores[category] < GOALS[category]:
                    if category != "performance":
                        ok = False
                    for title in failures(result, category):
                        print(f"       {category}: {title}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
