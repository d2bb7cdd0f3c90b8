"""Demo content for screenshots: the site's own demo (app.services.demo), with a known password."""

from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.services import demo

PASSWORD = "demo passphrase, not a real one"
FEATURED = demo.FEATURED


def seed(settings: Settings) -> dict[str, int]:
    """Create the demo people, posts, votes, follows and comments; returns post ids by title."""
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        result = demo.seed(session=session, settings=settings, password=PASSWORD)
    engine.dispose()
    return result.post_ids
