"""Every /api operation against its own OpenAPI document, with generated requests (schemathesis).

Valid and invalid requests alike must never cause a server error, must be answered with a
documented status, content type, headers and body, and invalid ones must be refused.
SCHEMATHESIS_MAX_EXAMPLES sets the examples per operation: a few by default for a quick local
run; `make test` (and so CI) runs 300.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from app.services import comments, posts, sessions, users
from tests.conftest import PASSWORD

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # Each example is a real request against a real database; slowness is not a bug here.
    suppress_health_check=list(HealthCheck),
)

# The document is read in-process once, at collection; each test then calls its own fresh app.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(env="test", database_url="sqlite://", secret_key="s" * 48)),
)


@pytest.fixture
def fuzz_token(db, settings) -> str:  # type: ignore[no-untyped-def]
    """A bearer token for `fuzzer`; posts 1-6 exist (fuzzer's and another user's, some drafts),
    and comments 1-4 on the published ones (replies among them)."""
    fuzzer, other = (
        users.register(
            session=db,
            settings=settings,
            username=name,
            email=f"{name}@example.com",
            password=PASSWORD,
        )
        for name in ("fuzzer", "other")
    )
    for i in range(3):
        for owner in (fuzzer, other):
            posts.create(session=db, owner=owner, title=f"Post {i}", content="x", published=i < 2)
    for post_id, author, parent_id in (
        (1, other, None),
        (2, fuzzer, None),
        (1, fuzzer, 1),
        (2, other, 2),
    ):
        post = posts.get_visible(session=db, post_id=post_id, viewer=None)[0]
        comments.create(
            session=db, author=author, post=post, content=f"On {post_id}", parent_id=parent_id
        )
    token, _ = sessions.start(session=db, settings=settings, user=fuzzer, kind="api")
    return token


def test_every_operation_is_fuzzed():
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) == 47


@schema.parametrize()
@FUZZ
def test_api_as_a_user(case, app, fuzz_token):
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_anonymously(case, app, fuzz_token):
    case.call_and_validate(app=app, checks=CHECKS)
