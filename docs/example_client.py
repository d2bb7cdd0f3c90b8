"""Agora's JSON API end to end, as a script on another machine would use it.

    python docs/example_client.py http://127.0.0.1:8000

Signs up two people, gets a token for each, writes posts, comments and votes, then pages
through the newest posts and a personal feed by following the `Link` headers, and shows a
conditional GET. Needs only httpx. See docs/api.md for the conventions it relies on.
"""

import secrets
import sys

import httpx

PASSWORD = "a long walk to the harbour"  # noqa: S105 - an example account's passphrase


def sign_up(client: httpx.Client, username: str) -> str:
    """Create an account and return a bearer token for it."""
    account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    client.post("/api/users", json=account).raise_for_status()
    # OAuth2's password flow: a form, not JSON; `username` may also be the email.
    token = client.post("/api/token", data={"username": username, "password": PASSWORD})
    token.raise_for_status()
    return str(token.json()["access_token"])


def pages(client: httpx.Client, url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Every item of a listing, page by page, following `Link: <...>; rel="next"`."""
    while url:
        response = client.get(url, headers=headers)
        response.raise_for_status()
        yield from response.json()["items"]
        url = response.links.get("next", {}).get("url")


def main(base_url: str) -> None:
    suffix = secrets.token_hex(3)
    writer, reader = f"writer_{suffix}", f"reader_{suffix}"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        writer_auth = {"Authorization": f"Bearer {sign_up(client, writer)}"}
        reader_auth = {"Authorization": f"Bearer {sign_up(client, reader)}"}
        print(f"signed up {writer} and {reader}")

        ids = []
        for n in range(5):
            post = {"title": f"Note {n} from {writer}", "content": "Hello from a script."}
            created = client.post("/api/posts", json=post, headers=writer_auth)
            created.raise_for_status()
            ids.append(created.json()["id"])
        print(f"{writer} wrote posts {ids}")

        comment = client.post(
            f"/api/posts/{ids[0]}/comments", json={"content": "Well said."}, headers=reader_auth
        )
        comment.raise_for_status()
        vote = client.post(f"/api/posts/{ids[0]}/vote", headers=reader_auth)
        vote.raise_for_status()
        print(f"{reader} commented and voted: {vote.json()['vote_count']} vote")

        # You cannot vote twice, nor for your own post: both are refused, never a 500.
        assert client.post(f"/api/posts/{ids[0]}/vote", headers=reader_auth).status_code == 409
        assert client.post(f"/api/posts/{ids[0]}/vote", headers=writer_auth).status_code == 403

        mine = [p["id"] for p in pages(client, f"/api/posts?author={writer}&limit=2")]
        print(f"{writer}'s posts, two a page: {mine}")
        assert mine == ids[::-1], "newest first, each once"

        client.post(f"/api/users/{writer}/follow", headers=reader_auth).raise_for_status()
        feed = [p["id"] for p in pages(client, "/api/feed?limit=2", headers=reader_auth)]
        print(f"{reader}'s feed: {feed}")
        assert feed == ids[::-1]

        # Conditional GET: send the ETag back; 304 means your copy is still current.
        url = f"/api/posts/{ids[0]}"
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        print(f"asked again with If-None-Match: {again.status_code}")
        assert again.status_code == 304

        # If-Match: an edit based on what you read, refused (412) if it changed since.
        tag = first.headers["etag"]
        edit = client.patch(
            url, json={"content": "Edited."}, headers={**writer_auth, "If-Match": tag}
        )
        edit.raise_for_status()
        stale = client.patch(
            url, json={"content": "Lost?"}, headers={**writer_auth, "If-Match": tag}
        )
        print(f"a second edit from the old version: {stale.status_code}")
        assert stale.status_code == 412

        client.delete("/api/token", headers=writer_auth).raise_for_status()
        assert client.get("/api/users/me", headers=writer_auth).status_code == 401
        print("token revoked; done")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
