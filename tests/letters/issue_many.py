"""Issue N letters of one request from a process of its own (the register concurrency test).

Usage: python -m tests.letters.issue_many REQUEST_ID ACTOR_ID N GO_FILE
Waits until GO_FILE exists, so that both processes start issuing together, then prints the
numbers it got, one per line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from spokes import create_app
from spokes.auth.models import User
from spokes.extensions import db
from spokes.letters import services
from spokes.letters.models import LetterKind
from spokes.press_requests.models import PressRequest


def main() -> None:
    """Issue the letters and print their numbers."""
    request_id, actor_id, count, go = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    app = create_app({"ENV_NAME": "testing", "PAGE_CACHE_URL": "none"})
    with app.app_context():
        req = db.session.get(PressRequest, request_id)
        actor = db.session.get(User, actor_id)
        choices = services.default_choices(req, LetterKind.REPLY, actor)
        db.session.commit()
        limit = time.monotonic() + 120
        while not go.exists():  # a barrier across processes: wait on the condition, bounded
            if time.monotonic() > limit:
                raise SystemExit("no go signal")
            time.sleep(0.01)
        numbers = []
        for _ in range(count):
            numbers.append(services.issue(actor, req, choices).number)
            db.session.commit()
        print("\n".join(map(str, numbers)))


if __name__ == "__main__":
    main()
