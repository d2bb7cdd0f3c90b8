"""Posts as JSON: list, search, read, write, edit, delete."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from app.api import (
    Limit,
    conditional,
    error_responses,
    invalid_query,
    link_pages,
    operation_id,
    read_cursor,
)
from app.deps import (
    ApiOwnPost,
    ApiRemovablePost,
    ApiUser,
    ApiVisiblePost,
    OptionalApiUser,
    SessionDep,
    SettingsDep,
)
from app.models import USERNAME_MAX, Post, User
from app.pagination import Position, encode_cursor
from app.schemas import PostCreate, PostOut, PostPage, PostPatch, PostReplace
from app.services import changes, feeds, posts, tags
from app.services import search as fulltext

router = APIRouter(prefix="/api/posts", tags=["posts"], generate_unique_id_function=operation_id)

# Offsets are for jumping a few pages; deeper reading follows `next`, which costs the same at
# any depth. The cap keeps an OFFSET scan short.
MAX_OFFSET = 10_000
LOCATION = {"Location": {"description": "The post's URL.", "schema": {"type": "string"}}}


@router.get(
    "",
    summary="List and search published posts",
    responses=error_responses(401, e401="A bearer token that is invalid, expired or revoked."),
)
def api_list_posts(
    request: Request,
    response: Response,
    session: SessionDep,
    viewer: OptionalApiUser,
    limit: Limit = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="`next_cursor` from the previous page."),
    ] = None,
    offset: Annotated[
        int,
        Query(ge=0, le=MAX_OFFSET, description="Posts to skip; prefer `cursor` to read on."),
    ] = 0,
    author: Annotated[
        str | None, Query(max_length=USERNAME_MAX, description="Only this user's posts.")
    ] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words to find in the title or content: posts with all of them, best "
            "match first. `tag:name` keeps the posts with that tag; other punctuation and "
            "search operators are ignored.",
            examples=["garden morning"],
        ),
    ] = None,
) -> PostPage:
    """Published posts, newest first, each with its author and vote count; with `search`, best
    match first (among the newest 500 matches). With a token, the tags you filter out and the
    posts you dismissed are left out.

    Read on with `next` (or `cursor=next_cursor`) until it is null.
    """
    text, tag = fulltext.split_query(search or "")
    text = text.strip()
    after = read_cursor(cursor) if cursor else None
    if after is not None and offset:
        raise invalid_query("offset", "Use either cursor or offset, not both.")
    # Searches are ranked and continue by offset; plain listings continue from a position.
    if isinstance(after, int) != bool(text) and after is not None:
        raise invalid_query("cursor", "That cursor belongs to another listing.")
    # Any write can change a listing (a suspended author's posts leave every one), and a
    # viewer's own filters and dismissals change theirs (their scope).
    scopes = [changes.SITE] + ([changes.user(viewer.id)] if viewer else [])
    etag = conditional.etag(
        session,
        *scopes,
        key=conditional.listing_key(request),
        viewer_id=viewer.id if viewer else None,
    )
    conditional.answer(request, response, etag)
    skipped = after if isinstance(after, int) else offset
    window = feeds.search(
        engine=request.app.state.engine,
        text=text,
        author=(author or "").strip(),
        limit=limit,
        after=after if isinstance(after, Position) else None,
        offset=skipped,
        viewer=viewer,
        tag_id=_tag_id(session, tag),
    )
    next_cursor = encode_cursor(window.next) if window.next else None

    def page_url(**where: str | int) -> str:
        query = {"limit": limit, "author": author, "search": search, **where}
        return f"{request.url.path}?" + urlencode({k: v for k, v in query.items() if v})

    next_url = page_url(cursor=next_cursor) if next_cursor else None
    # Only a page reached by offset knows where the one before it starts.
    prev_url = page_url(offset=max(0, skipped - limit)) if skipped else None
    link_pages(response, next=next_url, prev=prev_url)
    return PostPage(
        items=[PostOut.from_row(row) for row in window.items],
        next_cursor=next_cursor,
        next=next_url,
    )


def _tag_id(session: SessionDep, name: str | None) -> int | None:
    """The tag a search's `tag:name` asks for; a name no tag has matches nothing (id 0)."""
    if name is None:
        return None
    return tags.id_of(session=session, name=name) or 0


# A new account's limits (app.services.newcomers), for writing a post and publishing a draft.
NEW_ACCOUNT_POSTS = (
    "A new account (younger than NEW_ACCOUNT_HOURS) published its share of posts for the hour; "
    "the message and Retry-After say when it can post again."
)


@router.post(
    "",
    status_code=201,
    summary="Write a post",
    responses={
        201: {"description": "The new post.", "headers": LOCATION},
        **error_responses(400, 401, 413, 429, e429=NEW_ACCOUNT_POSTS),
    },
)
def api_create_post(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiUser,
    data: PostCreate,
) -> PostOut:
    """Publish a post, or save a private draft with `"published": false`."""
    post = posts.create(
        session=session,
        owner=user,
        title=data.title,
        content=data.content,
        published=data.published,
        tags=data.tags,
        tag_creation=settings.tag_creation,
    )
    response.headers["Location"] = request.app.url_path_for("api_get_post", post_id=str(post.id))
    response.headers["ETag"] = conditional.post_etag(session, post)
    return _out(session, post, user)


def _out(session: SessionDep, post: Post, author: User) -> PostOut:
    return PostOut.of(post, author, tags.names_of(post.id, session))


@router.get(
    "/{post_id}",
    summary="Read a post",
    responses=error_responses(401, 404, e404="No such post, or a draft that is not yours."),
)
def api_get_post(
    request: Request, response: Response, session: SessionDep, post: ApiVisiblePost
) -> PostOut:
    """A published post, or your own draft. Send its `ETag` back in `If-None-Match` to get
    304 while it is unchanged, or in `If-Match` when you edit it."""
    conditional.answer(request, response, conditional.post_etag(session, post))
    # No query: the access check read the author into the session with the post.
    author = session.get(User, post.owner_id)
    assert author is not None
    return _out(session, post, author)


_EDIT_ERRORS = error_responses(
    400,
    401,
    403,
    404,
    412,
    413,
    429,
    e403="Only the author can change a post.",
    e429=NEW_ACCOUNT_POSTS,
)


@router.put("/{post_id}", summary="Replace a post", responses=_EDIT_ERRORS)
def api_replace_post(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiUser,
    post: ApiOwnPost,
    data: PostReplace,
) -> PostOut:
    """Replace the title, content, published state and (if given) tags of your post; with
    `If-Match`, only if it is still the version you read."""
    conditional.guard(request, session, lambda: conditional.post_etag(session, post))
    post = posts.edit(
        session=session,
        post=post,
        title=data.title,
        content=data.content,
        published=data.published,
        tags=data.tags,
        tag_creation=settings.tag_creation,
    )
    response.headers["ETag"] = conditional.post_etag(session, post)
    return _out(session, post, user)


@router.patch("/{post_id}", summary="Change part of a post", responses=_EDIT_ERRORS)
def api_update_post(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiUser,
    post: ApiOwnPost,
    data: PostPatch,
) -> PostOut:
    """Change only the fields you send; with `If-Match`, only if it is still the version
    you read."""
    conditional.guard(request, session, lambda: conditional.post_etag(session, post))
    if (data.title, data.content, data.published, data.tags) != (None, None, None, None):
        post = posts.edit(
            session=session,
            post=post,
            title=post.title if data.title is None else data.title,
            content=post.content if data.content is None else data.content,
            published=post.published if data.published is None else data.published,
            tags=data.tags,
            tag_creation=settings.tag_creation,
        )
    response.headers["ETag"] = conditional.post_etag(session, post)
    return _out(session, post, user)


@router.delete(
    "/{post_id}",
    summary="Delete a post",
    status_code=204,
    response_class=Response,
    responses=error_responses(
        401, 403, 404, e403="Only the author, a moderator or an administrator can delete it."
    ),
)
def api_delete_post(session: SessionDep, user: ApiUser, post: ApiRemovablePost) -> Response:
    """Delete your post (moderators and administrators may delete any published post)."""
    posts.remove(session=session, post=post, actor=user)
    return Response(status_code=204)
