"""Who may sign up (REGISTRATION open / invite / closed), members' invite links, the invitation
tree admins see, and the sign-up form's honeypot."""

import re
import threading

import pytest
from sqlmodel import func, select

from app.models import Invite, User
from app.security import token_hash
from tests.conftest import PASSWORD, get_user

LINK_RE = re.compile(r'value="https?://[^"]*/invite/([A-Za-z0-9_-]+)"')
BY_INVITATION = "Sign-ups on this site are by invitation"
CLOSED = "Sign-ups are closed on this site for now."


def count_users(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(User)).one())


@pytest.fixture
def invite_only(alice, settings):  # type: ignore[no-untyped-def]
    """alice joined while sign-ups were open; now they are by invitation."""
    settings.registration = "invite"
    return settings


def make_invite(member) -> str:  # type: ignore[no-untyped-def]
    """Make an invite on the account page, as a member would; the token of its link."""
    made = member.submit("/account/invites", page="/account")
    assert made.status_code == 303 and made.headers["location"] == "/account#invites"
    page = member.get("/account").text
    match = LINK_RE.search(page)
    assert match, "the new link is shown on the account page"
    return match.group(1)


def open_invite(browser, token: str):  # type: ignore[no-untyped-def]
    opened = browser.get(f"/invite/{token}")
    assert opened.status_code == 303 and opened.headers["location"] == "/register"
    return browser.get("/register")


# --- the three modes ----------------------------------------------------------------------------


def test_open_mode_is_the_default_and_shows_no_invites(alice, settings, api):
    assert settings.registration == "open"
    page = alice.get("/account").text
    assert "Invite someone" not in page
    refused = alice.submit("/account/invites", page="/account")
    assert refused.status_code == 303
    assert "only used when sign-ups are by invitation" in alice.get("/account").text
    assert api.signup("carol").status_code == 201


def test_closed_mode_has_no_form_and_refuses_pages_and_api(settings, make_browser, api, db):
    settings.registration = "closed"
    visitor = make_browser()
    page = visitor.get("/register")
    assert page.status_code == 200 and CLOSED in page.text
    assert 'name="password"' not in page.text
    refused = visitor.submit(
        "/register",
        {"username": "carol", "email": "c@example.com", "password": PASSWORD},
        page="/login",
    )
    assert refused.status_code == 403 and CLOSED in refused.text
    answer = api.signup("dave")
    assert answer.status_code == 403 and answer.json() == {"detail": CLOSED}
    assert count_users(db) == 0


def test_invite_mode_without_an_invite_asks_for_one_on_pages_and_api(
    invite_only, make_browser, api, db
):
    visitor = make_browser()
    page = visitor.get("/register")
    assert BY_INVITATION in page.text and 'name="password"' not in page.text
    refused = visitor.submit(
        "/register",
        {"username": "carol", "email": "c@example.com", "password": PASSWORD},
        page="/login",
    )
    assert refused.status_code == 403 and BY_INVITATION in refused.text
    answer = api.signup("dave")
    assert answer.status_code == 403 and "by invitation" in answer.json()["detail"]
    assert count_users(db) == 1  # alice


def test_a_bad_registration_value_fails_at_start(monkeypatch):
    from app.config import ConfigError, load_settings

    monkeypatch.setenv("REGISTRATION", "invitation")
    with pytest.raises(
        ConfigError, match="REGISTRATION: Input should be 'open', 'invite' or 'closed'"
    ):
        load_settings()


# --- invites ------------------------------------------------------------------------------------


def test_an_invite_opens_the_form_once_and_records_who_invited_whom(
    invite_only, alice, make_browser, db
):
    token = make_invite(alice)
    assert "Not used yet" in alice.get("/account").text
    carol = make_browser()
    form = open_invite(carol, token)
    assert form.status_code == 200 and "alice invited you" in form.text
    # The token left the URL at the first GET: the form page and its links do not carry it.
    assert token not in form.text
    joined = carol.register("carol")
    assert joined.status_code == 303
    invite = db.exec(select(Invite)).one()
    assert invite.used_by_id == get_user(db, "carol").id and invite.used_at is not None
    listed = alice.get("/account").text
    assert 'href="/users/carol"' in listed and "Not used yet" not in listed

    # Single use: the same link again opens nothing.
    dave = make_browser()
    again = open_invite(dave, token)
    assert again.status_code == 404 and "invite link does not work" in again.text
    assert 'name="password"' not in again.text
    refused = dave.submit(
        "/register",
        {"username": "dave", "email": "dave@example.com", "password": PASSWORD},
        page="/login",  # the sign-up page has no form to take a token from
    )
    assert refused.status_code == 400 and "invite link does not work" in refused.text
    assert count_users(db) == 2


def test_invite_tokens_are_stored_hashed(invite_only, alice, db):
    token = make_invite(alice)
    (invite,) = db.exec(select(Invite)).all()
    assert invite.token_hash == token_hash(token) and token not in invite.token_hash
    # Shown once: a reload of the account page no longer has it.
    assert token not in alice.get("/account").text


def test_a_revoked_invite_stops_working_and_gives_its_place_back(
    alice, bob, invite_only, make_browser, db
):
    invite_only.invites_per_member = 1
    token = make_invite(alice)
    assert "all 1 of your invites" in alice.get("/account").text
    invite_id = db.exec(select(Invite.id)).one()
    # Nobody else revokes it.
    assert bob.submit(f"/account/invites/{invite_id}/revoke", page="/account").status_code == 404
    revoked = alice.submit(f"/account/invites/{invite_id}/revoke", page="/account")
    assert revoked.status_code == 303
    assert "its link no longer works" in alice.get("/account").text
    assert open_invite(make_browser(), token).status_code == 404
    assert db.exec(select(func.count()).select_from(Invite)).one() == 0
    make_invite(alice)  # the place came back


def test_a_used_invite_cannot_be_revoked(invite_only, alice, make_browser, db):
    token = make_invite(alice)
    carol = make_browser()
    open_invite(carol, token)
    assert carol.register("carol").status_code == 303
    invite_id = db.exec(select(Invite.id)).one()
    refused = alice.submit(f"/account/invites/{invite_id}/revoke", page="/account")
    assert refused.status_code == 403 and "was used already" in refused.text


def test_each_member_makes_at_most_invites_per_member_used_or_not(
    invite_only, alice, make_browser, db
):
    invite_only.invites_per_member = 2
    first = make_invite(alice)
    carol = make_browser()
    open_invite(carol, first)
    assert carol.register("carol").status_code == 303  # used, and still counted
    make_invite(alice)
    page = alice.get("/account").text
    assert "You have made all 2 of your invites." in page and "Make an invite link" not in page
    refused = alice.submit("/account/invites", page="/account")
    assert refused.status_code == 303
    assert "You have made all 2 of your invites" in alice.get("/account").text
    assert db.exec(select(func.count()).select_from(Invite)).one() == 2


def test_invites_are_pages_only(invite_only, make_api):
    member = make_api()
    member.log_in("alice")
    assert member.post("/api/invites").status_code == 404
    assert not [p for p in member.get("/openapi.json").json()["paths"] if "invite" in p]


def test_admins_see_the_invitation_tree_and_nobody_else_does(
    alice, admin, invite_only, make_browser, db
):
    token = make_invite(alice)
    carol = make_browser()
    open_invite(carol, token)
    carol.register("carol")
    alice_id, carol_id = get_user(db, "alice").id, get_user(db, "carol").id
    page = admin.get(f"/admin/users/{carol_id}").text
    assert f'<a href="/admin/users/{alice_id}">alice</a>' in page  # invited by
    page = admin.get(f"/admin/users/{alice_id}").text
    assert f'<a href="/admin/users/{carol_id}">carol</a>' in page  # invited
    assert carol.get(f"/admin/users/{alice_id}").status_code == 403
    assert "invited" not in carol.get("/users/carol").text.lower()


def test_an_invite_from_a_member_who_left_opens_nothing(invite_only, alice, make_browser, db):
    token = make_invite(alice)
    user = get_user(db, "alice")
    user.is_active = False
    db.add(user)
    db.commit()
    assert open_invite(make_browser(), token).status_code == 404


# --- the honeypot -------------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people_and_refuses_bots(make_browser, db):
    visitor = make_browser()
    form = visitor.get("/register").text
    trap = re.search(r'<div class="visually-hidden" aria-hidden="true">.*?</div>', form, re.S)
    assert trap and 'name="website"' in trap.group(0)
    assert 'tabindex="-1"' in trap.group(0) and 'autocomplete="off"' in trap.group(0)
    bot = visitor.submit(
        "/register",
        {
            "username": "bot",
            "email": "bot@example.com",
            "password": PASSWORD,
            "website": "http://spam.example",
        },
        page="/register",
    )
    assert bot.status_code == 400
    assert "We could not create an account from that form" in bot.text
    assert count_users(db) == 0
    person = visitor.submit(
        "/register",
        {"username": "carol", "email": "c@example.com", "password": PASSWORD, "website": ""},
        page="/register",
    )
    assert person.status_code == 303 and count_users(db) == 1


def test_two_sign_ups_racing_for_one_invite_make_one_account(invite_only, alice, app, db):
    from sqlmodel import Session

    from app.services import accounts, invites

    token = make_invite(alice)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def sign_up(n: int) -> None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                accounts.sign_up(
                    session=session,
                    settings=invite_only,
                    username=f"racer{n}",
                    email=f"racer{n}@example.com",
                    password=PASSWORD,
                    ip=f"10.0.0.{n}",
                    invite=token,
                )
                results.append("ok")
            except invites.InvalidInvite:
                results.append("used")

    workers = [threading.Thread(target=sign_up, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["ok", "used", "used", "used"]
    assert count_users(db) == 2  # alice and the one who won
