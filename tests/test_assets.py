"""The files under static/: served with validators, answered 304 when the browser has them,
and looked up once per file outside development (app/web/assets.py)."""

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from app.web.assets import Assets


def test_static_files_carry_validators_and_answer_304(browser):
    first = browser.get("/static/css/agora.css")
    assert first.status_code == 200 and first.headers["etag"]
    assert "x-content-type-options" in first.headers
    again = browser.get("/static/css/agora.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "x-content-type-options" in again.headers
    assert browser.get("/static/css/nothing-here.css").status_code == 404


def _serving(directory: Path, *, keep: bool) -> tuple[TestClient, Assets]:
    assets = Assets(directory=directory, keep=keep)
    return TestClient(Starlette(routes=[Mount("/static", assets)])), assets


def test_a_shipped_files_lookup_is_kept_and_only_a_real_files(tmp_path):
    (tmp_path / "site.css").write_text("body { color: red }")
    client, assets = _serving(tmp_path, keep=True)
    assert client.get("/static/site.css").text == "body { color: red }"
    assert client.get("/static/missing.css").status_code == 404
    assert client.get("/static/").status_code == 404
    assert list(assets.found) == ["site.css"]  # one entry per file: never a miss or a folder
    tag = client.get("/static/site.css").headers["etag"]
    assert client.get("/static/site.css", headers={"If-None-Match": tag}).status_code == 304
    assert client.post("/static/site.css").status_code == 405


def test_in_development_an_edited_file_shows_at_once(tmp_path):
    (tmp_path / "site.css").write_text("body { color: red }")
    client, assets = _serving(tmp_path, keep=False)
    before = client.get("/static/site.css").headers["etag"]
    (tmp_path / "site.css").write_text("body { color: rebeccapurple }")
    after = client.get("/static/site.css")
    assert after.text == "body { color: rebeccapurple }"
    assert after.headers["etag"] != before
    assert assets.found == {}
