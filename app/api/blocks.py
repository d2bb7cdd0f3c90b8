"""Mutes and blocks: keep someone out of your way (app.services.blocks)."""

from fastapi import APIRouter, Response
from sqlmodel import Session

from app.api import error_responses, operation_id
from app.deps import ApiUser, SessionDep, Username
from app.models import User
from app.schemas import BlockOut
from app.services import blocks, users

router = APIRouter(prefix="/api", tags=["blocks"], generate_unique_id_function=operation_id)

_SELF = "You cannot mute or block yourself."


def _state(session: Session, user: User, other: User) -> BlockOut:
    kind = blocks.kind_between(session=session, user=user, other=other)
    return BlockOut(username=other.username, muted=kind is not None, blocked=kind == blocks.BLOCK)


@router.post(
    "/users/{username}/mute",
    summary="Mute someone",
    responses=error_responses(400, 401, 404, e400=_SELF),
)
def api_mute(session: SessionDep, user: ApiUser, username: Username) -> BlockOut:
    """Their posts leave your feeds and searches, their comments fold in threads, and they no
    longer notify you. Asking again changes nothing; muting someone you block keeps the block."""
    other = users.get_available(session, username)
    blocks.set_kind(session=session, user=user, other=other, kind=blocks.MUTE)
    return _state(session, user, other)


@router.delete(
    "/users/{username}/mute",
    summary="Unmute someone",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404),
)
def api_unmute(session: SessionDep, user: ApiUser, username: Username) -> Response:
    """Undo a mute; fine if there was none (a block stays until it is undone itself)."""
    other = users.get_available(session, username)
    blocks.unset(session=session, user=user, other=other, kind=blocks.MUTE)
    return Response(status_code=204)


@router.post(
    "/users/{username}/block",
    summary="Block someone",
    responses=error_responses(400, 401, 404, e400=_SELF),
)
def api_block(session: SessionDep, user: ApiUser, username: Username) -> BlockOut:
    """A mute, and: they cannot comment on your posts, reply to your comments or follow you,
    your posts answer 404 to them, and any follow between you ends. They are not told."""
    other = users.get_available(session, username)
    blocks.set_kind(session=session, user=user, other=other, kind=blocks.BLOCK)
    return _state(session, user, other)


@router.delete(
    "/users/{username}/block",
    summary="Unblock someone",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404),
)
def api_unblock(session: SessionDep, user: ApiUser, username: Username) -> Response:
    """Undo a block; fine if there was none. Follows that the block ended stay ended."""
    other = users.get_available(session, username)
    blocks.unset(session=session, user=user, other=other, kind=blocks.BLOCK)
    return Response(status_code=204)
