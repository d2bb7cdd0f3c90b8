"""What the JSON API accepts and returns: Pydantic models kept apart from the tables.

Input models bound every field with the limits the tables already declare, so oversized input is
refused before it reaches a service; the services still apply every rule themselves. Output models
list their fields one by one: nothing reaches a response unless it is named here. (Past ~300
lines: one file holds every shape the API document shows, so the document reads as one.)
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models import (
    COMMENT_MAX,
    CONTENT_MAX,
    EMAIL_MAX,
    MAX_ID,
    REASON_MAX,
    REPORT_NOTE_MAX,
    TAG_DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_PER_POST,
    TITLE_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
    Post,
    User,
    status_of,
)
from app.security import BCRYPT_MAX_BYTES
from app.services.tags import split as split_tags
from app.services.validation import PASSWORD_MIN, PASSWORD_RULES

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=USERNAME_MIN, max_length=USERNAME_MAX),
    Field(
        description="3 to 30 letters, digits or underscores; unique, ignoring case.",
        examples=["alice"],
    ),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX),
    Field(
        description="A valid email address; unique, ignoring case.", examples=["alice@example.com"]
    ),
]
Password = Annotated[
    str,
    # Characters, not bytes: more than 72 characters is always more than bcrypt's 72 bytes.
    Field(
        min_length=PASSWORD_MIN,
        max_length=BCRYPT_MAX_BYTES,
        description=PASSWORD_RULES,
        examples=["correct horse battery staple"],
    ),
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    Field(description="1 to 200 characters.", examples=["Hello, Agora"]),
]
Content = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=CONTENT_MAX),
    Field(
        description="1 to 20,000 characters of Markdown (CommonMark; raw HTML shows as text).",
        examples=["My *first* post."],
    ),
]

# The rules (at most 5, each a-z, 0-9 and '-') are the service's, which answers a 422 naming
# the tag at fault; the bounds here only keep absurd input out.
TagList = Annotated[
    list[Annotated[str, StringConstraints(max_length=100)]],
    Field(
        max_length=50,
        description=f"Up to {TAGS_PER_POST} tags, each up to {TAG_MAX} characters: letters a-z, "
        "digits and '-' (capitals are lowered). A tag that does not exist yet is created, "
        "unless only moderators may create tags on this site.",
        examples=[["python", "web-dev"]],
    ),
]


class _Input(BaseModel):
    # Input is exactly what the document says: unknown fields (`role`, `owner_id`, `vote_count`)
    # are refused rather than ignored, and no coercion (0 is not false, "1" is not a number).
    model_config = ConfigDict(extra="forbid", strict=True)


class UserCreate(_Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "alice",
                    "email": "alice@example.com",
                    "password": "correct horse battery staple",
                }
            ]
        }
    )

    username: Username
    email: Email
    password: Password


LinkToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    Field(description="The token at the end of the link in the mail (after the last `/`)."),
]


class PasswordForgot(_Input):
    email: Email


class PasswordReset(_Input):
    token: LinkToken
    password: Password


class EmailVerify(_Input):
    token: LinkToken


class UserPublic(BaseModel):
    """What anyone may know about an account."""

    id: int = Field(examples=[1])
    username: str = Field(examples=["alice"])
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> "UserPublic":
        assert user.id is not None
        return cls(id=user.id, username=user.username, created_at=user.created_at)


class UserPrivate(UserPublic):
    """An account as its owner sees it."""

    email: str = Field(examples=["alice@example.com"])
    role: Literal["user", "moderator", "admin"]

    @classmethod
    def of(cls, user: User) -> "UserPrivate":
        # Validated from the row: the role column is a str, this field one of the roles.
        return cls.model_validate(user, from_attributes=True)


class Token(BaseModel):
    """An OAuth2 bearer token; send it as `Authorization: Bearer <access_token>`."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.", examples=[3600])


class Author(BaseModel):
    id: int = Field(examples=[1])
    username: str = Field(examples=["alice"])


class PostCreate(_Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Hello, Agora", "content": "My first post.", "published": True}]
        }
    )

    title: Title
    content: Content
    published: bool = Field(default=True, description="False keeps the post a private draft.")
    tags: TagList = []


class PostReplace(_Input):
    """Every field of the post, replaced."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Hello again", "content": "Edited.", "published": True}]
        }
    )

    title: Title
    content: Content
    published: bool
    tags: TagList | None = Field(default=None, description="The post's tags; omitted keeps them.")


class PostPatch(_Input):
    """Only the fields given change; a missing or null field keeps its value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"published": False}]})

    title: Title | None = None
    content: Content | None = None
    published: bool | None = None
    tags: TagList | None = None


class PostOut(BaseModel):
    id: int = Field(examples=[1])
    title: str
    content: str
    published: bool
    status: Literal["published", "draft", "hidden", "pending"] = Field(
        description="`hidden`: a moderator took it down (see `hidden_reason`); only its author "
        "sees it, and it cannot be published again until a moderator restores it. `pending`: "
        "members reported it and it is awaiting a moderator; only its author sees it meanwhile."
    )
    hidden_reason: str | None = Field(
        default=None, description="Why a moderator hid it (only when `status` is `hidden`)."
    )
    created_at: datetime
    updated_at: datetime
    vote_count: int = Field(examples=[3])
    comment_count: int = Field(
        examples=[2], description="Comments that show their words (not deleted or removed)."
    )
    author: Author
    tags: list[str] = Field(examples=[["python", "web-dev"]], description="By name.")

    @classmethod
    def of(cls, post: Post, author: User, tags: list[str]) -> "PostOut":
        assert post.id is not None and author.id is not None
        return cls(
            **_post_fields(post),
            author=Author(id=author.id, username=author.username),
            tags=tags,
        )

    @classmethod
    def from_row(cls, row: Any) -> "PostOut":
        """Build from a listing row (post columns, the author's username, the tags' names)."""
        return cls(
            **_post_fields(row),
            author=Author(id=row.owner_id, username=row.author),
            tags=split_tags(row.tags),
        )


def _post_fields(post: Any) -> dict[str, Any]:
    names = (
        "id",
        "title",
        "content",
        "published",
        "created_at",
        "updated_at",
        "vote_count",
        "comment_count",
    )
    return {
        **{name: getattr(post, name) for name in names},
        "status": status_of(post),
        "hidden_reason": post.hidden_reason,
    }


class PostPage(BaseModel):
    """One page of posts, newest first."""

    items: list[PostOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    next: str | None = Field(
        description="The URL of the next page (same filters and limit); null on the last page.",
        examples=["/api/posts?limit=20&cursor=MTcwMDAwMDAwMDAwMDAwMDoxMg"],
    )


class TagOut(BaseModel):
    """A tag, with the number of public posts that carry it."""

    name: str = Field(examples=["python"], max_length=TAG_MAX)
    description: str = Field(
        examples=["The language, its libraries and tools."], max_length=TAG_DESCRIPTION_MAX
    )
    post_count: int = Field(examples=[42])


class TagPage(BaseModel):
    """Tags, most used first."""

    items: list[TagOut]
    next: str | None = Field(description="The URL of the next page; null on the last page.")


class TagFollowOut(BaseModel):
    name: str = Field(examples=["python"])
    following: bool = Field(description="Whether you now follow the tag.")


class BookmarkOut(BaseModel):
    post_id: int = Field(examples=[1])
    bookmarked: bool = Field(description="Whether the post is now in your bookmarks.")


class DismissOut(BaseModel):
    post_id: int = Field(examples=[1])
    dismissed: bool = Field(description="Whether the post is now out of your feeds.")


class BlockOut(BaseModel):
    """Whether you mute or block a user now (a block mutes too)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "bob", "muted": True, "blocked": False}]}
    )

    username: str = Field(examples=["bob"])
    muted: bool = Field(description="Their posts, comments and notifications are out of your way.")
    blocked: bool = Field(description="And they cannot reply to you, follow you or see your posts.")


class FollowOut(BaseModel):
    """Whether you follow a user now, and how many people do."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "bob", "following": True, "followers": 12}]}
    )

    username: str = Field(examples=["bob"])
    following: bool = Field(description="Whether you now follow them.")
    followers: int = Field(description="How many people follow them.", examples=[12])


class VoteOut(BaseModel):
    post_id: int = Field(examples=[1])
    voted: bool = Field(description="Whether you now vote for the post.")
    vote_count: int = Field(examples=[4])


CommentContent = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_MAX),
    Field(
        description="1 to 10,000 characters of Markdown (CommonMark; raw HTML shows as text).",
        examples=["I agree, and *here* is why."],
    ),
]


class CommentCreate(_Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"content": "Good point.", "parent_id": None}]}
    )

    content: CommentContent
    parent_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The comment this one replies to (on the same post); null for the post.",
    )


class CommentPatch(_Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"content": "Edited words."}]})

    content: CommentContent


class CommentOut(BaseModel):
    """A comment in its thread. A deleted one kept for its replies has no author and no text."""

    id: int = Field(examples=[7])
    post_id: int = Field(examples=[1])
    parent_id: int | None = Field(description="The comment it replies to; null at top level.")
    depth: int = Field(description="0 for a comment on the post, 1 for a reply to it, ...")
    author: Author | None = Field(description="Null once the comment is deleted.")
    content: str = Field(description="Markdown; empty once the comment is deleted.")
    deleted: bool
    removed_reason: str | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Why a moderator removed it (shown to its author; null otherwise).",
    )
    vote_count: int = Field(examples=[2])
    created_at: datetime
    updated_at: datetime
    edited: bool = Field(description="Whether its author changed it after writing it.")
    folded: bool = Field(
        default=False,
        description="By someone you muted or blocked: the pages fold it to one line.",
    )

    @classmethod
    def of(
        cls, comment: Any, author: str | None, viewer_id: int | None, folded: bool = False
    ) -> "CommentOut":
        """From a Comment or a thread row; `author` is the author's name if it may be shown."""
        shown = author is not None and comment.author_id is not None and not comment.deleted
        assert comment.id is not None
        return cls(
            id=comment.id,
            post_id=comment.post_id,
            parent_id=comment.parent_id,
            depth=comment.depth,
            author=(
                Author(id=comment.author_id, username=author)
                if shown and author is not None and comment.author_id is not None
                else None
            ),
            content=comment.content if shown else "",
            deleted=not shown,
            removed_reason=(
                comment.removed_reason
                if viewer_id is not None and viewer_id == comment.author_id
                else None
            ),
            vote_count=comment.vote_count,
            created_at=comment.created_at,
            updated_at=comment.updated_at,
            edited=comment.updated_at > comment.created_at,
            folded=folded,
        )


class CommentPage(BaseModel):
    """Whole threads, oldest first: each top-level comment followed by its replies, in order."""

    items: list[CommentOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next threads; null after the last."
    )
    next: str | None = Field(description="The URL of the next page; null after the last.")


class CommentHit(BaseModel):
    """A comment that search found: a standing one, on a public post."""

    id: int = Field(examples=[7])
    post_id: int = Field(examples=[1])
    post_title: str = Field(examples=["Tomatoes in a cold spring"])
    author: Author
    content: str = Field(description="Markdown.")
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The comment's permalink page.", examples=["/comments/7"])

    @classmethod
    def from_row(cls, row: Any) -> "CommentHit":
        return cls(
            id=row.id,
            post_id=row.post_id,
            post_title=row.post_title,
            author=Author(id=row.author_id, username=row.author),
            content=row.content,
            created_at=row.created_at,
            updated_at=row.updated_at,
            url=f"/comments/{row.id}",
        )


class CommentHitPage(BaseModel):
    """Comments matching every word, best match first."""

    items: list[CommentHit]
    next_cursor: str | None = Field(description="Pass as `cursor` for more; null after the last.")
    next: str | None = Field(description="The URL of the next page; null after the last.")


class CommentVoteOut(BaseModel):
    comment_id: int = Field(examples=[7])
    voted: bool = Field(description="Whether you now vote for the comment.")
    vote_count: int = Field(examples=[3])


class Message(BaseModel):
    """Every error under /api: a JSON object with a `detail`."""

    detail: str = Field(examples=["That post does not exist."])


NotificationKind = Literal[
    "reply_post", "reply_comment", "mention", "follow", "milestone", "report_resolved", "warning"
]


class NotificationOut(BaseModel):
    """Something that happened to you: a comment on your post, a reply, a mention, a follower
    or a vote milestone."""

    id: int = Field(examples=[3])
    kind: NotificationKind
    actor: str | None = Field(description="Who did it; null for a vote milestone.")
    post_id: int | None = Field(description="The post it concerns, if any.")
    post_title: str | None = None
    comment_id: int | None = Field(description="The comment it concerns, if any.")
    milestone: int | None = Field(description="The vote count reached (1, 10, 100, ...).")
    report_item: Literal["post", "comment", "user"] | None = Field(
        default=None, description="For `report_resolved`: what you reported."
    )
    report_outcome: Literal["dismissed", "hidden", "deleted", "warned", "suspended"] | None = Field(
        default=None,
        description="For `report_resolved`: what a moderator decided (never who).",
    )
    note: str | None = Field(
        default=None, description="For `warning`: what the moderator wrote to you."
    )
    url: str = Field(
        description="The page it leads to: the comment's permalink, the post or the profile.",
        examples=["/comments/7"],
    )
    created_at: datetime
    read_at: datetime | None = Field(description="When you read it; null while unread.")


class NotificationPage(BaseModel):
    """One page of your notifications, newest first."""

    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    next: str | None = Field(description="The URL of the next page; null on the last page.")


class NotificationsRead(_Input):
    """Which notifications to mark read: some by id, or all of them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": [3, 4]}, {"all": True}]})

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default=[], max_length=100)
    all: bool = Field(default=False, description="Mark every notification read.")


class MarkedRead(BaseModel):
    marked: int = Field(description="How many unread notifications are now read.")


class NotificationSettings(_Input):
    """Which kinds of notifications you get (all of them unless you turn some off)."""

    reply_post: bool = Field(description="Comments on your posts.")
    reply_comment: bool = Field(description="Replies to your comments.")
    mention: bool = Field(description="Mentions of you (@name) in posts and comments.")
    follow: bool = Field(description="New followers.")
    milestone: bool = Field(description="Your post reaching 1, 10, 100, ... votes.")
    report_resolved: bool = Field(
        default=True, description="What moderators decided about your reports."
    )


ReportReason = Literal["spam", "harassment", "off_topic", "illegal", "other"]
ReportItem = Literal["post", "comment", "user"]


class ReportCreate(_Input):
    """Tell the moderators about someone else's post, comment or profile."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"item_type": "post", "item_id": 7, "reason": "spam", "note": ""}]
        }
    )

    item_type: ReportItem
    item_id: int = Field(ge=1, le=MAX_ID, description="The post's, comment's or user's id.")
    reason: ReportReason
    note: str = Field(default="", max_length=REPORT_NOTE_MAX, description="Optional context.")


class ReportOut(BaseModel):
    """A report you sent; `outcome` once a moderator decided (never who)."""

    id: int
    item_type: ReportItem
    item_id: int
    reason: ReportReason
    note: str
    created_at: datetime
    resolved_at: datetime | None
    outcome: Literal["dismissed", "hidden", "deleted", "warned", "suspended"] | None


class ReportGroupOut(BaseModel):
    """An item in the moderation queue with its open reports."""

    report_id: int = Field(description="Pass to `/api/reports/{id}/resolve` to decide.")
    item_type: ReportItem
    item_id: int
    item_status: str = Field(
        description="`published`, `draft`, `hidden`, `pending` (awaiting a moderator), "
        "`removed`, `active` (a profile) or `gone`."
    )
    author: str | None
    count: int
    first_reported_at: datetime
    reasons: dict[str, int]
    notes: list[str]
    actions: list[Literal["dismiss", "hide", "remove", "delete"]]


class ReportQueue(BaseModel):
    """One page of the queue, the longest-waiting item first."""

    items: list[ReportGroupOut]
    page: int
    has_next: bool


class ReportResolve(_Input):
    """A moderator's decision on a reported item: it answers every open report on it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "hide", "reason": "Spam links."}]}
    )

    action: Literal["dismiss", "hide", "remove", "delete"] = Field(
        description="Posts: dismiss, hide, delete. Comments: dismiss, remove. Profiles: dismiss."
    )
    reason: str = Field(
        default="",
        max_length=REASON_MAX,
        description="Needed to hide or remove: the author reads it and the public log shows it.",
    )


class ReportResolved(BaseModel):
    outcome: Literal["dismissed", "hidden", "deleted"]
