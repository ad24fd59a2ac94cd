from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .policy import can
from .roles import Cap


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it starts its day on."""
    user = request.user
    if can(user, Cap.CALL_CREATE):
        return redirect("board")
    if can(user, Cap.ENCOUNTER_WRITE):
        return redirect("my-unit")
    if can(user, Cap.DASHBOARD_VIEW):
        return redirect("dashboard")
    if can(user, Cap.BOARD_VIEW):
        return redirect("board")
    if can(user, Cap.AUDIT_VIEW):
        return redirect("audit-search")
    if can(user, Cap.CALL_VIEW):
        return redirect("call-list")
    return redirect("login")
