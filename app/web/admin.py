"""The admin pages for running the site: dashboard, users and the audit log.

Moderators may enter /admin but only reach the posts pages (web/admin_posts.py); every other
page here also needs the admin role. Both are read from the database on each request.
"""

from dataclasses import asdict, replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app import pagination
from app.deps import (
    AdminUser,
    ModeratorUser,
    PageNo,
    SessionDep,
    UserId,
    get_moderator,
)
from app.models import MAX_ID, REASON_MAX, ROLES
from app.services import (
    ValidationFailed,
    admin,
    admin_lists,
    audit,
    invites,
    outbox,
    reports,
    users,
)
from app.services.admin_lists import AuditFilter, PostFilter, UserFilter
from app.templating import flash, render
from app.web import PageRouter
from app.web.charts import bar_chart
from app.web.downloads import csv_download, dated

# The form token is checked first, as on every other router, then the role.
router = PageRouter(prefix="/admin", dependencies=[Depends(get_moderator)])

Search = Annotated[str, Query(max_length=100)]
Direction = Literal["asc", "desc"]


def query_params(filters: Any, **changes: Any) -> dict[str, Any]:
    """The filters as query parameters (empty values left out), for links that keep them."""
    values = asdict(replace(filters, **changes))
    return {key: value for key, value in values.items() if value not in ("", None)}


def query_string(filters: Any, **changes: Any) -> str:
    return urlencode(query_params(filters, **changes))


def list_pager(
    request: Request, listing: pagination.Page, filters: Any, *, by_time: bool = False
) -> pagination.Pager:
    """The pager of an admin list: this page's path, its filters kept. The tables sort by any
    column, so their pagers say Previous / Next; the audit log is newest first, by time."""
    return pagination.numbered(listing, request.url.path, query_params(filters), by_time=by_time)


def user_filter(
    q: Search = "",
    role: Literal["", "user", "moderator", "admin"] = "",
    active: Literal["", "yes", "no"] = "",
    sort: Literal["username", "email", "role", "active", "joined", "posts"] = "joined",
    dir: Direction = "desc",
) -> UserFilter:
    return UserFilter(q=q, role=role, active=active, sort=sort, dir=dir)


UserFilterDep = Annotated[UserFilter, Depends(user_filter)]


@router.get("")
def admin_dashboard(request: Request, session: SessionDep, user: ModeratorUser) -> Response:
    if not user.is_admin:
        return RedirectResponse("/admin/posts", status_code=303)
    stats = admin.dashboard(session=session)
    charts = [
        bar_chart("Sign-ups per day", "sign-up", [(d.day, d.signups) for d in stats.days]),
        bar_chart("Posts per day", "post", [(d.day, d.posts) for d in stats.days]),
    ]
    settings = request.app.state.settings
    mail = {
        "status": outbox.status(session, settings),
        "failures": outbox.failures(session),
    }
    context = {
        "stats": stats,
        "charts": charts,
        "mail": mail,
        "queue": reports.open_count(session=session),
    }
    return render(request, "admin/dashboard.html", context)


@router.get("/users")
def admin_users(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    filters: UserFilterDep,
    page: PageNo = 1,
) -> Response:
    listing = admin_lists.users_page(session=session, filters=filters, page=page)
    return render(
        request,
        "admin/users.html",
        {
            "page": listing,
            "pager": list_pager(request, listing, filters),
            "filters": filters,
            "qs": query_string,
            "roles": ROLES,
        },
    )


@router.get("/users.csv")
def admin_users_csv(session: SessionDep, user: AdminUser, filters: UserFilterDep) -> Response:
    rows = admin_lists.users_all(session=session, filters=filters)
    return csv_download(
        dated("agora-users", "csv"),
        ["id", "username", "email", "role", "active", "joined", "posts"],
        (
            (u.id, u.username, u.email, u.role, u.is_active, u.created_at, count)
            for u, count in rows
        ),
    )


@router.get("/users/{user_id}")
def admin_user(request: Request, session: SessionDep, user: AdminUser, user_id: UserId) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    context = {
        "target": target,
        "footprint": users.footprint(session=session, user=target),
        "posts": admin_lists.posts_page(
            session=session, filters=PostFilter(author=target.username), page=1
        ),
        "history": admin_lists.audit_page(
            session=session, filters=AuditFilter(target_type="user", target_id=target.id), page=1
        ),
        "roles": ROLES,
        "actions": audit.ACTIONS,
        "tree": invites.tree(session=session, user=target),
        "durations": admin.DURATIONS,
    }
    return render(request, "admin/user.html", context)


@router.post("/users/{user_id}/role")
def admin_set_role(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    user_id: UserId,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    changed = admin.set_role(session=session, actor=user, user=target, role=role)
    response = RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    article = "an" if role == "admin" else "a"
    flash(
        response,
        request,
        f"{target.username} is now {article} {role}."
        if changed
        else f"{target.username} already was {article} {role}; nothing changed.",
    )
    return response


@router.post("/users/{user_id}/suspend")
def admin_suspend(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    user_id: UserId,
    duration: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=REASON_MAX * 2)] = "",
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    days = admin.duration_days(duration)
    changed = admin.suspend(session=session, actor=user, user=target, days=days, reason=reason)
    response = RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    if changed:
        message = f"{target.username} is suspended and logged out everywhere."
    else:
        message = f"{target.username} already was suspended; lift it first to change it."
    flash(response, request, message)
    return response


@router.post("/users/{user_id}/unsuspend")
def admin_unsuspend(
    request: Request, session: SessionDep, user: AdminUser, user_id: UserId
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    changed = admin.lift(session=session, actor=user, user=target)
    response = RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    flash(
        response,
        request,
        f"{target.username} is active again and can log in."
        if changed
        else f"{target.username} was not suspended; nothing changed.",
    )
    return response


@router.post("/users/{user_id}/reset-link")
def admin_send_reset_link(
    request: Request, session: SessionDep, user: AdminUser, user_id: UserId
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    admin.send_reset_link(
        session=session, settings=request.app.state.settings, actor=user, user=target
    )
    response = RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    flash(response, request, f"We mailed {target.username} a link to choose a new password.")
    return response


@router.get("/users/{user_id}/delete")
def admin_delete_user_confirm(
    request: Request, session: SessionDep, user: AdminUser, user_id: UserId
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    footprint = users.footprint(session=session, user=target)
    return render(request, "admin/user_delete.html", {"target": target, "footprint": footprint})


@router.post("/users/{user_id}/delete")
def admin_delete_user(
    request: Request, session: SessionDep, user: AdminUser, user_id: UserId
) -> Response:
    target = admin.get_user(session=session, user_id=user_id)
    name = target.username
    gone = admin.delete_user(session=session, actor=user, user=target)
    response = RedirectResponse("/admin/users", status_code=303)
    flash(
        response,
        request,
        f"{name} is deleted, with {gone['posts']} post(s), {gone['drafts']} draft(s) "
        f"and {gone['votes']} vote(s).",
    )
    return response


@router.get("/audit")
def admin_audit(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    action: Annotated[str, Query(max_length=40)] = "",
    actor: Search = "",
    target_type: Literal["", "user", "post", "comment", "tag"] = "",
    # Text, not int: the filter form sends an empty box as "target_id=".
    target_id: Annotated[str, Query(max_length=19, pattern="^[0-9]*$")] = "",
    page: PageNo = 1,
) -> Response:
    if action and action not in audit.ACTIONS:
        raise ValidationFailed({"action": "There is no such action in the audit log."})
    if target_id and not 1 <= int(target_id) <= MAX_ID:
        raise ValidationFailed({"target_id": "There is no target with that id."})
    filters = AuditFilter(
        action=action,
        actor=actor,
        target_type=target_type,
        target_id=int(target_id) if target_id else None,
    )
    listing = admin_lists.audit_page(session=session, filters=filters, page=page)
    return render(
        request,
        "admin/audit.html",
        {
            "page": listing,
            "pager": list_pager(request, listing, filters, by_time=True),
            "filters": filters,
            "qs": query_string,
            "actions": audit.ACTIONS,
        },
    )
