"""The rules of a press request's life, one module per seam; this package re-exports them.

Callers keep writing ``from spokes.press_requests import services as svc`` and ``svc.intake(...)``.
Every state change goes through ``transitions.transition()``, which checks the workflow table, the
actor's permissions in the request's unit and the guards. Services flush and audit; they never commit.

- ``references``: public references and tracking tokens;
- ``journalists``: agencies and the journalist records;
- ``transitions``: the row lock, the version check, ``check_transition`` and ``transition``;
- ``assignment``: the unit's speaker, (re)assignment, case authorisations;
- ``intake``: a new request, and finding one by token or reference;
- ``answers``: drafts, approval, return and sending, the final answer;
- ``lifecycle``: withdraw, transfer, extend, reopen, reclassify;
- ``messages``: notes and messages; ``conclusions``: a complaint's conclusion.
"""

from spokes.press_requests.workflow import Action
from spokes.press_requests.services.references import (
    hash_token,
    new_token,
    next_reference,
    reference_floors,
    raise_reference_counters,
)
from spokes.press_requests.services.journalists import (
    get_or_create_agency,
    JournalistData,
    normalise_name,
    normalise_contact,
    link_journalist,
    upsert_journalist,
    update_journalist,
)
from spokes.press_requests.services.transitions import (
    RequestChanged,
    lock_request,
    last_change,
    check_version,
    action_label,
    check_transition,
    transition,
)
from spokes.press_requests.services.assignment import (
    current_speaker,
    eligible_assignees,
    reassign,
    CaseAuthorisation,
    authorise_for_case,
    expire_case_authorisations,
)
from spokes.press_requests.services.intake import (
    SEARCH_TYPE,
    IntakeData,
    intake,
    find_by_token,
    renew_tracking_link,
    find_by_reference_and_email,
)
from spokes.press_requests.services.answers import (
    DraftData,
    current_draft,
    answers_on_file,
    final_answer,
    save_draft,
    submit_draft,
    approve,
    return_draft,
    send_directly,
)
from spokes.press_requests.services.lifecycle import (
    withdraw,
    transfer,
    extend,
    reopen,
    reclassify,
)
from spokes.press_requests.services.messages import (
    add_message,
)
from spokes.press_requests.services.conclusions import (
    ConclusionData,
    CONCLUSION_STATES,
    check_conclusion,
    conclusion_moment,
    record_conclusion,
    mark_conclusion_sent,
)

__all__ = [
    "Action",
    "hash_token",
    "new_token",
    "next_reference",
    "reference_floors",
    "raise_reference_counters",
    "get_or_create_agency",
    "JournalistData",
    "normalise_name",
    "normalise_contact",
    "link_journalist",
    "upsert_journalist",
    "update_journalist",
    "RequestChanged",
    "lock_request",
    "last_change",
    "check_version",
    "action_label",
    "check_transition",
    "transition",
    "current_speaker",
    "eligible_assignees",
    "reassign",
    "CaseAuthorisation",
    "authorise_for_case",
    "expire_case_authorisations",
    "SEARCH_TYPE",
    "IntakeData",
    "intake",
    "find_by_token",
    "renew_tracking_link",
    "find_by_reference_and_email",
    "DraftData",
    "current_draft",
    "answers_on_file",
    "final_answer",
    "save_draft",
    "submit_draft",
    "approve",
    "return_draft",
    "send_directly",
    "withdraw",
    "transfer",
    "extend",
    "reopen",
    "reclassify",
    "add_message",
    "ConclusionData",
    "CONCLUSION_STATES",
    "check_conclusion",
    "conclusion_moment",
    "record_conclusion",
    "mark_conclusion_sent",
]
