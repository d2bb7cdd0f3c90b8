"""Votes: one per person per post, added and withdrawn."""

from fastapi import APIRouter, Response

from app.api import error_responses, operation_id
from app.deps import ApiUser, ApiVotablePost, SessionDep
from app.schemas import VoteOut
from app.services import Conflict, NotFound, votes

router = APIRouter(prefix="/api/posts", tags=["votes"], generate_unique_id_function=operation_id)


@router.post(
    "/{post_id}/vote",
    status_code=201,
    summary="Vote for a post",
    responses={
        201: {"description": "Your vote is counted."},
        **error_responses(
            401,
            403,
            404,
            409,
            e403="You cannot vote for your own post.",
            e404="No such post, or one you may not see.",
            e409="You have already voted for this post.",
        ),
    },
)
def api_vote(session: SessionDep, user: ApiUser, post: ApiVotablePost) -> VoteOut:
    """One vote per person per post."""
    assert post.id is not None
    if not votes.add(session=session, post=post, user=user):
        raise Conflict("You have already voted for this post.")
    count = votes.count(session=session, post_id=post.id)
    return VoteOut(post_id=post.id, voted=True, vote_count=count)


@router.delete(
    "/{post_id}/vote",
    status_code=204,
    response_class=Response,
    summary="Withdraw your vote",
    responses=error_responses(
        401,
        403,
        404,
        e403="You cannot vote for your own post.",
        e404="No such post, or you have not voted for it.",
    ),
)
def api_unvote(session: SessionDep, user: ApiUser, post: ApiVotablePost) -> Response:
    """Take back your vote."""
    if not votes.remove(session=session, post=post, user=user):
        raise NotFound("You have not voted for this post.")
    return Response(status_code=204)
