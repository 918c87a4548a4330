"""Roles and permissions as data: one enum, one role → permissions map."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    """A role held through a membership (user, unit, role)."""

    CLERK = "clerk"
    SPOKESPERSON = "spokesperson"
    HEAD = "head"
    OVERSEER = "overseer"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    """Everything a staff member can be allowed to do."""

    VIEW_REQUESTS = "view_requests"
    LOG_REQUEST = "log_request"
    ATTACH_FILES = "attach_files"
    DRAFT_ANSWER = "draft_answer"
    ANSWER_DIRECT = "answer_direct"  # only matters when the unit turned approval off
    APPROVE = "approve"
    REASSIGN = "reassign"
    AUTHORISE_SPOKESPERSON = "authorise_spokesperson"
    MANAGE_DESIGNATIONS = "manage_designations"
    TRANSFER = "transfer"
    EXTEND = "extend"
    REOPEN = "reopen"
    PUBLISH = "publish"
    ISSUE_LETTERS = "issue_letters"  # number, sign and send official letters (công văn)
    VIEW_REPORTS = "view_reports"
    VIEW_AUDIT = "view_audit"
    MANAGE_UNITS = "manage_units"
    MANAGE_USERS = "manage_users"
    MANAGE_RULEBOOKS = "manage_rulebooks"
    MANAGE_CALENDAR = "manage_calendar"
    MANAGE_SETTINGS = "manage_settings"


P = Permission

_SPOKESPERSON = frozenset(
    {P.VIEW_REQUESTS, P.LOG_REQUEST, P.ATTACH_FILES, P.DRAFT_ANSWER, P.ANSWER_DIRECT, P.PUBLISH}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({P.VIEW_REQUESTS, P.LOG_REQUEST, P.ATTACH_FILES}),
    Role.SPOKESPERSON: _SPOKESPERSON,
    Role.HEAD: _SPOKESPERSON
    | {
        P.APPROVE,
        P.REASSIGN,
        P.AUTHORISE_SPOKESPERSON,
        P.MANAGE_DESIGNATIONS,
        P.TRANSFER,
        P.EXTEND,
        P.REOPEN,
        P.VIEW_REPORTS,
        P.ISSUE_LETTERS,
    },
    # An overseer watches and routes a whole subtree but never answers in a unit's name.
    Role.OVERSEER: frozenset(
        {P.VIEW_REQUESTS, P.REASSIGN, P.TRANSFER, P.REOPEN, P.VIEW_REPORTS, P.VIEW_AUDIT}
    ),
    Role.ADMIN: frozenset(
        {
            P.VIEW_REPORTS,
            P.VIEW_AUDIT,
            P.MANAGE_UNITS,
            P.MANAGE_USERS,
            P.MANAGE_DESIGNATIONS,
            P.MANAGE_RULEBOOKS,
            P.MANAGE_CALENDAR,
            P.MANAGE_SETTINGS,
        }
    ),
}

# Roles whose rights reach the whole subtree below their unit, not just the unit itself.
SUBTREE_ROLES = frozenset({Role.OVERSEER, Role.ADMIN})

# Permissions over what every unit shares (the legal rulebooks and the working calendar):
# they count only when held at a top-level unit, whose reach is the whole tree. A district
# admin manages the district's units and people, not the province's deadlines.
TREE_WIDE_PERMISSIONS = frozenset({P.MANAGE_RULEBOOKS, P.MANAGE_CALENDAR})

ROLE_LABELS = {
    Role.CLERK: _l("Cán bộ tiếp nhận"),
    Role.SPOKESPERSON: _l("Người phát ngôn"),
    Role.HEAD: _l("Người đứng đầu đơn vị"),
    Role.OVERSEER: _l("Cán bộ theo dõi, đôn đốc"),
    Role.ADMIN: _l("Quản trị hệ thống"),
}
