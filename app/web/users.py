"""Public profiles."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.deps import OptionalUser, SessionDep
from app.services import NotFound, posts, users
from app.templating import render

router = APIRouter()


@router.get("/users/{username}")
def profile(
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    username: Annotated[str, Path(max_length=100)],
    page: Annotated[int, Query(ge=1, le=posts.MAX_PAGE)] = 1,
) -> Response:
    author = users.get_by_username(session, username)
    if author is None:
        raise NotFound("There is no user with that name.")
    listing = posts.by_author(session=session, author=author, viewer=None, page=page)
    return render(request, "users/profile.html", {"author": author, "page": listing})
