"""Field rules shared by the register, account, post forms and the JSON API."""

import gzip
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from app import rendering
from app.models import COMMENT_MAX, CONTENT_MAX, EMAIL_MAX, TITLE_MAX, USERNAME_MAX, USERNAME_MIN
from app.security import BCRYPT_MAX_BYTES

PASSWORD_MIN = 8
USERNAME_RE = re.compile(rf"[A-Za-z0-9_]{{{USERNAME_MIN},{USERNAME_MAX}}}", re.ASCII)
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"

PASSWORD_RULES = (
    f"At least {PASSWORD_MIN} characters. Spaces and any characters are welcome; a long passphrase "
    f"is best. At most {BCRYPT_MAX_BYTES} bytes (about {BCRYPT_MAX_BYTES} letters, fewer with "
    "accents or emoji), because the bcrypt hash ignores anything past that. Not a common password, "
    "and not your username or email."
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _has_bad_controls(text: str, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def clean_username(value: str) -> str:
    value = value.strip()
    if not USERNAME_RE.fullmatch(value):
        raise ValueError(
            f"Use {USERNAME_MIN} to {USERNAME_MAX} characters: letters, digits and underscores."
        )
    return value


def clean_email(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Enter your email address.")
    if len(value) > EMAIL_MAX or _has_bad_controls(value, allow_newlines=False):
        raise ValueError("Enter a valid email address.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        # The library's reasons are written for programmers; these say what to type instead.
        if "@" not in value:
            raise ValueError(
                "Enter a valid email address: it needs an @, as in name@example.com."
            ) from None
        raise ValueError("Enter a valid email address, such as name@example.com.") from None
    return result.normalized.lower()


def check_password(password: str, *, username: str = "", email: str = "") -> None:
    """Raise ValueError with a user-facing reason if the password breaks the policy."""
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"Use at least {PASSWORD_MIN} characters.")
    if len(password.encode()) > BCRYPT_MAX_BYTES:
        raise ValueError(
            f"Use at most {BCRYPT_MAX_BYTES} bytes: bcrypt, which protects your password, ignores "
            "anything longer (accented letters and emoji take 2 to 4 bytes each)."
        )
    if "\x00" in password:
        raise ValueError("Passwords cannot contain a NUL character.")
    lowered = password.lower()
    if lowered in common_passwords():
        raise ValueError("This password is too common; attackers try it first. Choose another.")
    local_part = email.split("@", 1)[0].lower() if email else ""
    if lowered in {username.lower(), email.lower(), local_part} - {""}:
        raise ValueError("Your password cannot be your username or email.")


def clean_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Give your post a title.")
    if len(value) > TITLE_MAX:
        raise ValueError(f"Keep the title to {TITLE_MAX} characters (it has {len(value)}).")
    if _has_bad_controls(value, allow_newlines=False):
        raise ValueError("The title contains control characters; remove them.")
    return value


def clean_content(value: str) -> str:
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise ValueError("Write something in your post.")
    if len(value) > CONTENT_MAX:
        raise ValueError(f"Keep the post to {CONTENT_MAX:,} characters (it has {len(value):,}).")
    if _has_bad_controls(value, allow_newlines=True):
        raise ValueError("The post contains control characters; remove them.")
    check_rendered_size(value)
    return value


def clean_comment(value: str) -> str:
    """A comment's Markdown: the post content's rules (`clean_content`), with its own limit."""
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("Write something in your comment.")
    if len(text) > COMMENT_MAX:
        raise ValueError(f"Keep the comment to {COMMENT_MAX:,} characters (it has {len(text):,}).")
    if _has_bad_controls(text, allow_newlines=True):
        raise ValueError("The comment contains control characters; remove them.")
    text = clean_content(text)
    check_rendered_size(text, rendering.COMMENT_RENDERED_MAX)
    return text


def check_rendered_size(markdown: str, budget: int = rendering.RENDERED_MAX) -> None:
    """Refuse Markdown whose HTML would pass the render budget (one short link used many times)."""
    if not rendering.fits_budget(markdown, budget):
        raise ValueError(
            f"Formatted, this would be more than the {budget // 1000:,} kB of "
            "HTML a page can show. Repeat long links or images less often."
        )
