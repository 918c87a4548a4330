"""Domain events: what happened, announced by the feature that did it, heard by whoever cares.

A service sends a signal inside its transaction, after its change and its audit event; the
receivers (connected once, in the composition root ``spokes.app.register_subscribers``) run in the
same transaction, so a rollback undoes their work too (notices and outbox mails are rows).
The sender is the object the event is about; the other arguments are keywords, named below.
A feature never imports another feature's services to tell it something: it sends a signal.

Blinker ships with Flask; signals are process-wide and connecting the same receiver twice is a
no-op, so building several apps (as the tests do) never doubles a notice.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the PressRequest. token: the fresh tracking token (str); actor: the user or None (portal).
request_received = _signals.signal("request-received")
# sender: the PressRequest. token: the fresh tracking token.
tracking_link_renewed = _signals.signal("tracking-link-renewed")
# sender: the PressRequest. user: the new assignee; actor.
request_assigned = _signals.signal("request-assigned")
# sender: the PressRequest. answer: the submitted draft; actor.
draft_submitted = _signals.signal("draft-submitted")
# sender: the PressRequest. answer: the returned draft; actor.
draft_returned = _signals.signal("draft-returned")
# sender: the PressRequest (now answered or refused). answer: what was sent; actor.
request_answered = _signals.signal("request-answered")
# sender: the PressRequest. actor (None when the journalist withdrew on the portal).
request_withdrawn = _signals.signal("request-withdrawn")
# sender: the PressRequest (already in its new unit). record: the Transfer row; actor.
request_transferred = _signals.signal("request-transferred")
# sender: the PressRequest. record: the Extension row; actor.
request_extended = _signals.signal("request-extended")
# sender: the PressRequest (with its new type and due date). old_type, old_due_at, reason; actor.
request_reclassified = _signals.signal("request-reclassified")
# sender: the PressRequest. message: the Message row; actor.
message_added = _signals.signal("message-added")
# sender: the PressRequest. publication: the new Publication; actor.
request_published = _signals.signal("request-published")
# sender: the PressRequest. before, after: {"due_at"/"conclusion_due_at": datetime} that moved; actor.
deadline_recomputed = _signals.signal("deadline-recomputed")
# sender: the surviving Unit. merged: the Unit merged into it; request_ids: the requests moved; actor.
unit_merged = _signals.signal("unit-merged")
# sender: the PressRequest. letter: the issued Letter; file_name, content_type, data: the copy to send.
letter_issued = _signals.signal("letter-issued")
