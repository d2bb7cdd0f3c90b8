"""What the JSON API accepts and returns: Pydantic models kept apart from the tables.

Input models bound every field with the limits the tables already declare, so oversized input is
refused before it reaches a service; the services still apply every rule themselves. Output models
list their fields one by one: nothing reaches a response unless it is named here.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models import (
    CONTENT_MAX,
    EMAIL_MAX,
    TITLE_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
    Post,
    User,
    status_of,
)
from app.security import BCRYPT_MAX_BYTES
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


class PostPatch(_Input):
    """Only the fields given change; a missing or null field keeps its value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"published": False}]})

    title: Title | None = None
    content: Content | None = None
    published: bool | None = None


class PostOut(BaseModel):
    id: int = Field(examples=[1])
    title: str
    content: str
    published: bool
    status: Literal["published", "draft", "hidden"] = Field(
        description="`hidden`: a moderator took it down (see `hidden_reason`); only its author "
        "sees it, and it cannot be published again until a moderator restores it."
    )
    hidden_reason: str | None = Field(
        default=None, description="Why a moderator hid it (only when `status` is `hidden`)."
    )
    created_at: datetime
    updated_at: datetime
    vote_count: int = Field(examples=[3])
    author: Author

    @classmethod
    def of(cls, post: Post, author: User) -> "PostOut":
        assert post.id is not None and author.id is not None
        return cls(**_post_fields(post), author=Author(id=author.id, username=author.username))

    @classmethod
    def from_row(cls, row: Any) -> "PostOut":
        """Build from a listing row (post columns plus the author's username)."""
        return cls(**_post_fields(row), author=Author(id=row.owner_id, username=row.author))


def _post_fields(post: Any) -> dict[str, Any]:
    names = ("id", "title", "content", "published", "created_at", "updated_at", "vote_count")
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


class Message(BaseModel):
    """Every error under /api: a JSON object with a `detail`."""

    detail: str = Field(examples=["That post does not exist."])
