"""What search engines read: robots.txt and the sitemap, every address absolute from SITE_URL."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse
from starlette.responses import Response

from app.db import run_db
from app.services import sitemap

router = APIRouter()

# Never worth a crawler's visit: private pages, forms, and the JSON API. The login page itself
# may be read (it is the way in, and says what the site is); its `?next=` copies, one per vote
# box a visitor sees, may not (robots.txt rules are prefixes).
PRIVATE = (
    "/account",
    "/admin",
    "/api/",
    "/login?",
    "/register",
    "/logout",
    "/notifications",
    "/bookmarks",
    "/posts/new",
    "/search",
)


def _xml(request: Request, name: str, **context: object) -> Response:
    template = request.app.state.templates.get_template(name)
    base = request.app.state.settings.base_url
    body = template.render(base=base, **context)
    return Response(body, media_type="application/xml")


@router.get("/robots.txt", include_in_schema=False)
def robots(request: Request) -> PlainTextResponse:
    base = request.app.state.settings.base_url
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE), ""]
    lines.append(f"Sitemap: {base}/sitemap.xml")
    return PlainTextResponse("\n".join(lines) + "\n")


@router.get("/sitemap.xml", include_in_schema=False)
async def sitemap_xml(request: Request) -> Response:
    engine = request.app.state.engine
    counts = await run_db(engine, sitemap.counts, engine=engine)
    if sum(counts.values()) <= sitemap.LIMIT:
        entries = [
            entry
            for kind in sitemap.KINDS
            for entry in await run_db(engine, sitemap.entries, engine=engine, kind=kind)
        ]
        return _xml(request, "seo/urlset.html", entries=entries)
    children = [
        f"/sitemaps/{kind}-{page}.xml"
        for kind in sitemap.KINDS
        for page in range(1, sitemap.pages(counts[kind]) + 1)
    ]
    return _xml(request, "seo/index.html", children=children)


@router.get("/sitemaps/{kind}-{page}.xml", include_in_schema=False)
async def child_sitemap(
    request: Request,
    kind: sitemap.Kind,
    page: Annotated[int, Path(ge=1, le=100_000)],
) -> Response:
    engine = request.app.state.engine
    entries = await run_db(engine, sitemap.entries, engine=engine, kind=kind, page=page)
    if not entries and page > 1:
        return PlainTextResponse("No such sitemap.", status_code=404)
    return _xml(request, "seo/urlset.html", entries=entries)
