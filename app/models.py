"""Database tables and the schemas that go in and out of them.

Past ~300 lines: the tables stay together, so their keys and cascades read side by side.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

USERNAME_MIN, USERNAME_MAX = 3, 30
EMAIL_MAX = 254
TITLE_MAX = 200
CONTENT_MAX = 20_000
COMMENT_MAX = 10_000
BIO_MAX = 300  # a line or two about yourself, shown on your profile and in people lists
EXCERPT_MAX = 250  # a card's plain-text start (app.rendering.excerpt stays under this)
REASON_MAX = 500  # a moderator's reason, shown to the author
ROLES = ("user", "moderator", "admin")
# Ids are 32-bit INTEGER columns on PostgreSQL; a larger number names no row, and sending it to
# the database would be an error there rather than "not found".
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite alone would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime; use timezone-aware UTC")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _has_surrogate_id(table: Table) -> bool:
    """One integer primary key that is not another row's key, nor a fixed one the code names
    (`autoincrement=False`, as the readiness heartbeat's): the database numbers it."""
    keys = list(table.primary_key.columns)
    return (
        len(keys) == 1
        and isinstance(keys[0].type, Integer)
        and not keys[0].foreign_keys
        and keys[0].autoincrement is not False
    )


@event.listens_for(Table, "after_parent_attach")
def _never_reuse_ids(table: Table, metadata: MetaData) -> None:
    """Every table's ids are numbered past the highest ever used, even after deletes.

    SQLite alone would hand a deleted row's id (the highest) to the next row: a new post would
    answer a deleted post's URL, a new account inherit another's audit history and login lock.
    PostgreSQL's sequences never go back. Applied here, so no table can forget it.
    """
    if metadata is SQLModel.metadata and _has_surrogate_id(table):
        table.dialect_kwargs["sqlite_autoincrement"] = True


def _ts(**kwargs: Any) -> Any:
    return Column(UTCDateTime(), nullable=False, **kwargs)


class Roles:
    """What a role allows, for the User table and the request's Viewer alike."""

    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")


@dataclass(frozen=True, slots=True)
class Viewer(Roles):
    """The logged-in visitor as pages show them: read with the session on every request, in one
    plain query. Routes that change the account take the ORM `User` (deps.CurrentUser)."""

    id: int
    username: str
    role: str
    is_active: bool
    verified: bool = True
    # Whether anything is kept from this viewer's listings (a block or mute either way, a
    # dismissal, a filtered tag): read with the session, so a member with none reads the same
    # statements an anonymous visitor does (app.services.filters.needed).
    screens: bool = True


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """The request's session row, as read: enough to bind CSRF tokens, end it, or touch it."""

    jti: str
    user_id: int
    kind: str
    last_seen_at: datetime
    expires_at: datetime


class User(Roles, SQLModel, table=True):
    """An account. `username_key` and `email` are stored lower-cased so uniqueness ignores case."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX)
    username_key: str = Field(max_length=USERNAME_MAX, unique=True, index=True)
    email: str = Field(max_length=EMAIL_MAX, unique=True, index=True)
    password_hash: str = Field(max_length=100)
    role: str = Field(default="user", max_length=16)
    # Whether others may see the account and it may log in: False while it is suspended. Kept as
    # a flag, not derived from the end date, so every listing's rule stays one cheap column.
    is_active: bool = Field(default=True)
    # A suspension's end (None while not suspended, or suspended for good) and the reason its
    # owner reads when they try to log in (app.services.users.suspension_message).
    suspended_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    suspension_reason: str = Field(
        default="", max_length=REASON_MAX, sa_column_kwargs={"server_default": ""}
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    bio: str = Field(default="", max_length=BIO_MAX, sa_column_kwargs={"server_default": ""})
    # When the owner proved the address is theirs (app.services.accounts); None until then.
    email_verified_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # The sha256 of the secret in the address of their private notifications feed, or None
    # while they have none (app.services.syndication); the secret itself is never stored.
    feed_token_hash: str | None = Field(
        default=None, max_length=64, unique=True, index=True, nullable=True
    )

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


class Post(SQLModel, table=True):
    """A post; `vote_count` is kept in step with the vote table inside each vote's transaction."""

    __table_args__ = (
        Index("ix_post_feed", "published", "created_at", "id"),
        # An author's posts newest first (profiles, and each followed author in the Following
        # feed) straight from the index; owner_id leads, so it also serves the foreign key.
        Index("ix_post_author", "owner_id", "published", "created_at", "id"),
        # Top: the last week's posts are one range of this index, and it carries vote_count and
        # owner_id, so ordering them by votes (and leaving out unavailable authors) never reads
        # the post table.
        Index("ix_post_top", "published", "created_at", "vote_count", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    content: str = Field(max_length=CONTENT_MAX)  # Markdown
    # The plain-text start of the content, written with it: cards show it without parsing.
    excerpt: str = Field(
        default="", max_length=EXCERPT_MAX, sa_column_kwargs={"server_default": ""}
    )
    published: bool = Field(default=True)
    # Hidden by a moderator (app.services.posts.hide): never published while set, whatever the
    # author does, until a moderator restores it. Every feed, index and count reads `published`.
    hidden_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    hidden_reason: str | None = Field(default=None, max_length=REASON_MAX)
    # Set aside by members' reports (app.services.reports): unpublished while set, as a hidden
    # post is, so every list follows `published`; a moderator's decision clears it.
    pending_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # When its author last published it (a draft published later gets the time then): what
    # the new-account limits count (app.services.newcomers). Moderators' restores leave it.
    published_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    vote_count: int = Field(default=0)
    # Comments that still show their words (not deleted or removed), moved in the same
    # transaction as each comment write (app.services.comments).
    comment_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    owner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )

    @property
    def status(self) -> str:
        return status_of(self)


POST_STATUSES = ("published", "draft", "hidden", "pending")


def status_of(post: Any) -> str:
    """`published`, `draft` (the author's choice), `hidden` (a moderator's) or `pending`
    (awaiting a moderator after reports), for a Post or a row that carries `published`,
    `hidden_at` and `pending_at`."""
    if post.hidden_at is not None:
        return "hidden"
    if post.pending_at is not None:
        return "pending"
    return "published" if post.published else "draft"


class Follow(SQLModel, table=True):
    """`follower` follows `followed`: one row per pair, gone when either account goes."""

    __table_args__ = (CheckConstraint("follower_id <> followed_id", name="ck_follow_not_self"),)

    follower_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    # The key (follower_id, followed_id) lists whom someone follows; this index, their followers.
    followed_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Vote(SQLModel, table=True):
    """One user's vote on one post; the composite key makes a second vote impossible."""

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    post_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Comment(SQLModel, table=True):
    """A comment on a post, or a reply to another comment of the same post.

    `root_id` is the top-level comment of its thread (its own id for a top-level one), so a page
    of threads is read in one query. A deleted comment that has replies stays, without author or
    text, so the thread keeps its shape; the reply link never cascades (app.services.comments).
    """

    __table_args__ = (
        # A post's top-level comments in either order, and each thread of a page by its root.
        Index("ix_comment_top", "post_id", "parent_id", "created_at", "id"),
        Index("ix_comment_root", "root_id"),
        Index("ix_comment_author", "author_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("comment.id"), nullable=True, index=True)
    )
    root_id: int | None = Field(default=None)
    depth: int = Field(default=0)
    content: str = Field(default="", max_length=COMMENT_MAX)  # Markdown
    deleted: bool = Field(default=False)
    # Set when a moderator removed it: the author reads why in its place.
    removed_reason: str | None = Field(default=None, max_length=REASON_MAX)
    # Set aside by members' reports: `deleted` is set with it (its words kept), so it stops
    # standing everywhere at once; a moderator's dismissal gives it back (app.services.reports).
    pending_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    vote_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CommentVote(SQLModel, table=True):
    """One user's vote on one comment; the composite key makes a second vote impossible."""

    __tablename__ = "comment_vote"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    comment_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


NOTIFICATION_KINDS = (
    "reply_post",
    "reply_comment",
    "mention",
    "follow",
    "milestone",
    "report_resolved",
    "warning",
)


class Mention(SQLModel, table=True):
    """`user_id` was named as `@name_key` in a post (`comment_id` NULL) or in one of its comments.

    Stored by id when the item is written, so a rename changes the name shown, never whom it
    names (app.services.mentions). `notified` once the person was told (the item was public).
    """

    __table_args__ = (Index("ix_mention_item", "post_id", "comment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False)
    )
    comment_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("comment.id", ondelete="CASCADE"), nullable=True),
    )
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name_key: str = Field(max_length=USERNAME_MAX)  # the name as written, lower-cased
    notified: bool = Field(default=False)


class Notification(SQLModel, table=True):
    """Something that happened to `recipient`, written in the transaction of the thing itself.

    `dedupe_key` names the kind, actor and item: the partial unique index keeps one unread
    notification per recipient and key (app.services.notifications).
    """

    __table_args__ = (
        Index("ix_notification_inbox", "recipient_id", "created_at", "id"),
        # The header's count and the unread list read only this part, however much was read.
        Index(
            "ix_notification_unread",
            "recipient_id",
            "created_at",
            "id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        Index(
            "uq_notification_unread",
            "recipient_id",
            "dedupe_key",
            unique=True,
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)  # one of NOTIFICATION_KINDS
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    post_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    comment_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("comment.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    milestone: int | None = Field(default=None)  # the vote count reached, for "milestone"
    # The report whose outcome "report_resolved" tells; no post or comment key, so the news
    # outlives an item the moderator deleted.
    report_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("report.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    # A moderator's words to the recipient, for "warning".
    note: str | None = Field(default=None, max_length=REASON_MAX, nullable=True)
    dedupe_key: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class NotificationMute(SQLModel, table=True):
    """A kind of notification `user_id` chose not to get: everyone gets every kind by default."""

    __tablename__ = "notification_mute"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(sa_column=Column(String(16), primary_key=True))


class PostMilestone(SQLModel, table=True):
    """A vote count a post has reached once: its author is told of each milestone only once."""

    __tablename__ = "post_milestone"

    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    )
    milestone: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))


class AuthSession(SQLModel, table=True):
    """A live login, keyed by its token's `jti`: deleting the row ends the session everywhere."""

    __tablename__ = "auth_session"

    jti: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(default="web", max_length=8)  # "web" (cookie) or "api" (bearer)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts(index=True))


class LoginThrottle(SQLModel, table=True):
    """Failed-login counters per account and per IP, shared by every worker process."""

    __tablename__ = "login_throttle"

    key: str = Field(sa_column=Column(String(300), primary_key=True))
    failures: int = Field(default=0)
    window_start: datetime = Field(default_factory=utcnow, sa_column=_ts())
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class AuditLog(SQLModel, table=True):
    """One admin or moderator action: who did what to which target, with before/after values.

    Names and labels are copied at the time of the action so the entry still reads correctly
    after the actor or the target is renamed or deleted.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    actor_name: str = Field(max_length=USERNAME_MAX + 10)  # a username, or "console"
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(max_length=16)  # "user" or "post"
    target_id: int | None = Field(default=None)
    target_label: str = Field(default="", max_length=TITLE_MAX)
    before: str | None = Field(default=None)  # JSON text
    after: str | None = Field(default=None)  # JSON text

    @property
    def before_values(self) -> dict[str, Any]:
        return json.loads(self.before) if self.before else {}

    @property
    def after_values(self) -> dict[str, Any]:
        return json.loads(self.after) if self.after else {}


MAIL_STATUSES = ("queued", "sent", "failed")


class MailOutbox(SQLModel, table=True):
    """A message to send, written in the transaction of the action that causes it.

    Delivered by app.services.outbox: claimed with a short lease, sent outside any transaction,
    then marked. `message_id` and `date` are fixed here, so a retry is the same message. A sent
    message keeps its headers only: its body (a link that opens an account) is dropped.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    kind: str = Field(max_length=32)  # the template: "verify", "reset", ...
    to_address: str = Field(max_length=EMAIL_MAX)
    subject: str = Field(max_length=200)
    text_body: str = Field(default="")
    html_body: str = Field(default="")
    message_id: str = Field(max_length=200)
    status: str = Field(default="queued", max_length=8)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str = Field(default="", max_length=500)


class AccountToken(SQLModel, table=True):
    """A single-use link sent by mail: a password reset or an address to confirm.

    Only a hash of the token is kept. `stamp` fingerprints what the token was issued against
    (the address, and for a reset the password hash too), so changing either kills it.
    """

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    purpose: str = Field(max_length=8)  # "reset", "verify" or "email" (a new address)
    email: str = Field(max_length=EMAIL_MAX)  # the address the link was sent to
    stamp: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())


class Heartbeat(SQLModel, table=True):
    """The row /readyz rewrites to prove the database still takes writes (app.db.check_writes).

    A fixed key, not a surrogate id: there is one row, and the probe's scratch row never commits.
    """

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    beat_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    pad: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class ChangeCounter(SQLModel, table=True):
    """How many times what a scope shows has changed ("site", "user:7", "post:42"): the
    validators of conditional requests (app.services.changes)."""

    __tablename__ = "change_counter"

    scope: str = Field(sa_column=Column(String(64), primary_key=True))
    counter: int = Field(default=0)
    # When the counter last moved: a feed's Last-Modified (None for rows never bumped).
    changed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


TAG_MAX = 25  # characters in a tag's name (app.services.tags.clean_tags)
TAGS_PER_POST = 5
TAG_DESCRIPTION_MAX = 500


class Tag(SQLModel, table=True):
    """A topic posts carry. It shows (on /tags, its page, counts) only through public posts."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=TAG_MAX, unique=True)
    description: str = Field(
        default="", max_length=TAG_DESCRIPTION_MAX, sa_column_kwargs={"server_default": ""}
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Its public posts, kept in step by every write that makes a post public or not
    # (app.services.tags.recount): /tags sorts tags by it without reading post_tag.
    public_posts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TagAlias(SQLModel, table=True):
    """A name a tag had before a rename or merge: its old URLs answer 301 to the tag."""

    __tablename__ = "tag_alias"

    name: str = Field(sa_column=Column(String(TAG_MAX), primary_key=True))
    tag_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("tag.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class PostTag(SQLModel, table=True):
    """A post carries a tag. `created_at` is the post's own (it never changes), copied here so a
    tag's posts are read newest first from one index without visiting other tags' posts."""

    __tablename__ = "post_tag"
    __table_args__ = (Index("ix_post_tag_feed", "tag_id", "created_at", "post_id"),)

    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = Field(sa_column=_ts())


class TagFollow(SQLModel, table=True):
    """`user` follows `tag`: its public posts join their Following feed."""

    __tablename__ = "tag_follow"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TagFilter(SQLModel, table=True):
    """`user` never wants to see posts with `tag` in their feeds or searches ("filtered")."""

    __tablename__ = "tag_filter"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Bookmark(SQLModel, table=True):
    """A post `user` saved to read later; nobody else ever learns of it."""

    __table_args__ = (Index("ix_bookmark_user", "user_id", "created_at", "post_id"),)

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    post_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Dismissal(SQLModel, table=True):
    """A post `user` took out of their own feeds."""

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    post_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


REPORT_ITEMS = ("post", "comment", "user")
REPORT_REASONS = {
    "spam": "Spam",
    "harassment": "Harassment",
    "off_topic": "Off topic",
    "illegal": "Illegal",
    "other": "Something else",
}
REPORT_OUTCOMES = ("dismissed", "hidden", "deleted", "warned", "suspended")
REPORT_NOTE_MAX = 500


class Report(SQLModel, table=True):
    """A member tells the moderators about a post, comment or profile (app.services.reports).

    The item is named by kind and id, not by a key: a resolved report outlives a deleted item,
    so its reporter can still read the outcome. One open report per reporter and item.
    """

    __table_args__ = (
        Index(
            "uq_report_open",
            "reporter_id",
            "item_type",
            "item_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        # The queue: open reports by item, oldest first.
        Index(
            "ix_report_queue",
            "item_type",
            "item_id",
            "created_at",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        # A reporter's reports of the last hour (the throttle).
        Index("ix_report_reporter", "reporter_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    item_type: str = Field(max_length=8)  # one of REPORT_ITEMS
    item_id: int
    reason: str = Field(max_length=16)  # a key of REPORT_REASONS
    note: str = Field(default="", max_length=REPORT_NOTE_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    outcome: str | None = Field(default=None, max_length=16)  # one of REPORT_OUTCOMES


MODERATION_ACTIONS = {
    "hidden": "Hidden",
    "deleted": "Deleted",
    "removed": "Removed",
    "suspended": "Suspended",
}


class ModerationEntry(SQLModel, table=True):
    """One line of the public moderation log (/moderation), written with the moderator's deed.

    Only what may be shown to anyone is stored: the audit log, which holds titles, addresses
    and the moderator's name, is never read for the public page.
    """

    __tablename__ = "moderation_entry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    action: str = Field(max_length=16)  # a key of MODERATION_ACTIONS
    item_type: str = Field(max_length=8)  # "post", "comment" or "user" (a suspension)
    author_name: str = Field(default="", max_length=USERNAME_MAX)  # copied: renames leave it
    reason: str = Field(default="", max_length=REASON_MAX)


class Block(SQLModel, table=True):
    """`user` muted or blocked `other`: one row per pair, a block being a mute and more.

    Every listing reads it by its key (user_id, other_id), per post, beside the viewer's filters
    (app.services.filters); the index on other_id finds who blocked someone.
    """

    __table_args__ = (
        CheckConstraint("user_id <> other_id", name="ck_block_not_self"),
        CheckConstraint("kind IN ('mute', 'block')", name="ck_block_kind"),
    )

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    other_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Invite(SQLModel, table=True):
    """A member's invite link (REGISTRATION=invite): single use, only a hash of its token kept.

    `used_by_id` is the account that signed up with it: the invitation tree is these rows.
    Revoking an unused invite deletes it.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    inviter_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # One invite per account; an invitee who deletes their account leaves the invite used.
    used_by_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True, unique=True
        ),
    )
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
