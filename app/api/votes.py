"""Votes: one per person per post, added and withdrawn."""

from fastapi import APIRouter, Response

from app.api import error_responses, operation_id
from app.deps import ApiUser, PostId, SessionDep
from app.schemas import VoteOut
from app.services import Conflict, NotFound, posts, votes

router = APIRouter(prefix="/api/posts", tags=["votes"], generate_unique_id_function=operation_id)


@router.post(
    "/{post_id}/vote",
    status_code=201,
    summary="Vote for a post",
    responses={
        201: {"description": "Your vote is counted."},
        **error_responses(401, 404, 409, e409="You have already voted for this post."),
    },
)
def api_vote(session: SessionDep, user: ApiUser, post_id: PostId) -> VoteOut:
    """One vote per person per post."""
    post, _ = posts.get_visible(session=session, post_id=post_id, viewer=user)
    if not votes.add(session=session, post=post, user=user):
        raise Conflict("You have already voted for this post.")
    count = votes.count(session=session, post_id=post_id)
    return VoteOut(post_id=post_id, voted=True, vote_count=count)


@router.delete(
    "/{post_id}/vote",
    status_code=204,
    response_class=Response,
    summary="Withdraw your vote",
    responses=error_responses(401, 404, e404="No such post, or you have not voted for it."),
)
def api_unvote(session: SessionDep, user: ApiUser, post_id: PostId) -> Response:
    """Take back your vote."""
    post, _ = posts.get_visible(session=session, post_id=post_id, viewer=user)
    if not votes.remove(session=session, post=post, user=user):
        raise NotFound("You have not voted for this post.")
    return Response(status_code=204)
