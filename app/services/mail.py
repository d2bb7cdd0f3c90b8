"""Composing mail: a plain-text and an HTML part from templates, queued in the outbox.

Each message is written to the outbox in the caller's transaction (nothing is committed here),
so mail goes out exactly when the action that causes it commits. Delivery is
app.services.outbox. The text part comes from `templates/mail/<kind>.txt`, which Jinja does
not HTML-escape; the HTML part from `<kind>.html`, which it does: neither uses `|safe`.
"""

from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from app.config import PROJECT_DIR, Settings
from app.models import MailOutbox

# Mail has no request, no CSRF field and no page globals: a small environment of its own, with
# the same autoescape rule as the pages (by file name).
_env = Environment(
    loader=FileSystemLoader(PROJECT_DIR / "templates" / "mail"),
    autoescape=select_autoescape(("html",)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SUBJECTS = {
    "verify": "Confirm your email address",
    "email_change": "Confirm your new email address",
    "email_change_notice": "Your email address is being changed",
    "reset": "Reset your password",
    "password_changed": "Your password was changed",
    "signup_attempt": "Someone tried to sign up with your email address",
}


def compose(*, settings: Settings, kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """The subject, text and HTML of a message of `kind` (one of SUBJECTS)."""
    subject = SUBJECTS[kind]
    values = {"site_name": settings.site_name, "site_url": settings.base_url, **context}
    text = _env.get_template(f"{kind}.txt").render(values)
    html = _env.get_template(f"{kind}.html").render({**values, "subject": subject})
    return subject, text, html


def link(settings: Settings, path: str) -> str:
    """An absolute link to `path` on this site: always SITE_URL, never the request's Host."""
    return settings.base_url + path


def queue(
    *, session: Session, settings: Settings, kind: str, to: str, context: dict[str, Any]
) -> MailOutbox:
    """Add a message to the outbox in the caller's transaction; the caller commits."""
    subject, text, html = compose(settings=settings, kind=kind, context=context)
    domain = urlsplit(settings.base_url).hostname or "localhost"
    row = MailOutbox(
        kind=kind,
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        message_id=make_msgid(domain=domain),
    )
    session.add(row)
    return row
