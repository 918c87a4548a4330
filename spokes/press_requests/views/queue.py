"""The staff queue: the requests the user works on, with tabs, filters, search, sorting and pages.

Its cost does not grow with the number of requests: see ``queries.queue_page`` and
``queries.filter_choices``.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from spokes.auth.permissions import Permission
from spokes.auth.policies import permission_required
from spokes.core.clock import now
from spokes.core.personal_pages import personal_page
from spokes.press_requests import forms, queries
from spokes.press_requests.views import bp
from spokes.units.forms import unit_label

TAB_LABELS = {
    "mine": _l("Việc của tôi"),
    "unit": _l("Yêu cầu của đơn vị"),
    "subtree": _l("Toàn bộ phạm vi theo dõi"),
    "transferred": _l("Đã chuyển đi"),
}


@bp.get("/")
@personal_page
@login_required
@permission_required(Permission.VIEW_REQUESTS)
def queue():
    """List the requests the user works on, with filters, search, sorting and pages."""
    user = current_user
    tabs = queries.tabs_for(user)
    tab = request.args.get("tab") if request.args.get("tab") in tabs else tabs[0]
    form = forms.QueueFilterForm(formdata=request.args)
    choices = queries.filter_choices(user)  # cached per scope; the long option lists are rendered once
    form.unit.choices = [forms.choice("", _("Tất cả"))] + [forms.choice(u.id, unit_label(u)) for u in choices.units]
    form.unit.options_key = ("unit", choices.key, str(get_locale()))  # "(ngừng hoạt động)" is in the reader's language
    form.assignee.choices = [forms.choice("", _("Tất cả"))] + [forms.choice(u.id, u.name) for u in choices.people]
    form.assignee.options_key = ("assignee", choices.key)
    # Only someone who oversees a subtree has units below units to include.
    show_scope = "subtree" in tabs
    if not form.validate():
        return render_template("press_requests/queue.html", form=form, tab=tab, tabs=tabs, tab_labels=TAB_LABELS,
                               page=None, show_scope=show_scope), 400
    listed = queries.queue_statement(user, tab)
    page = queries.queue_page(queries.apply_filters(listed, form), sort=form.sort.data or "due",
                              page=form.page.data or 1, per_page=current_app.config["PAGE_SIZE"],
                              cursor=form.position, walk=queries.search_walk(listed, form),
                              searched=bool((form.q.data or "").strip()))
    return render_template("press_requests/queue.html", form=form, tab=tab, tabs=tabs, tab_labels=TAB_LABELS,
                           page=page, now=now(), show_scope=show_scope,
                           cursor=form.cursor.data or None)
