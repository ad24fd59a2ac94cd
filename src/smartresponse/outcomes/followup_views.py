"""Follow-up and case outcomes: reached within 48 hours, referral completion by service, and
crisis contacts before and after enrolment (definitions in docs/metrics.md). Analysts see them
with small counts suppressed, as on the dashboard (disclosure.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.cases.models import CancelReason

from . import charts
from .disclosure import REFERRAL_COLUMNS, case_values, publish, referral_key, suppressed_for
from .metrics import FOLLOWUP_HOURS, BeforeAfter, ReferralStats
from .selectors import CaseOutcomes, case_outcomes, local_today
from .suppression import Suppressed
from .views import (
    QUARTER_CHOICES,
    QUICK_QUARTERS,
    SUPPRESSION_NOTE,
    Row,
    Section,
    Tile,
    _bar,
    _label,
    _pct,
    _positive,
    ordered,
    period_from_request,
    quarter_from_request,
    quarter_links,
    quick_ranges,
)


def _hours(value: float | None) -> str:
    return "–" if value is None else _("%(n)s h") % {"n": f"{value:.1f}"}


def _change(s: Suppressed, ba: BeforeAfter) -> str:
    """The relative change of crisis contacts; hidden with either total it is worked out from."""
    if ba.change is None or s.hidden("ba.before") or s.hidden("ba.after"):
        return "–"
    return f"{ba.change:+.0%}"


def followup_tiles(out: CaseOutcomes, s: Suppressed) -> list[Tile]:
    f, e, ba = out.followup, out.enrolment, out.before_after
    total = referral_key(None)
    return [
        Tile(
            _("Reached within %(h)s hours") % {"h": FOLLOWUP_HOURS},
            _pct(s.share("fu.within", "fu.people")),
            _("%(n)s of %(total)s people met on crisis encounters")
            % {"n": s.show("fu.within"), "total": s.show("fu.people")},
            alert=_positive(s, "fu.not_reached"),
        ),
        Tile(
            _("Attempted within %(h)s hours") % {"h": FOLLOWUP_HOURS},
            _pct(s.share("fu.attempted", "fu.people")),
            _("%(n)s people tried at least once") % {"n": s.show("fu.attempted")},
        ),
        Tile(
            _("Median time to first contact"),
            _hours(f.median_hours),
            _("from the end of the encounter, people reached"),
        ),
        Tile(
            _("Still within the window"),
            s.show("fu.pending"),
            _("not counted yet: they can still be reached in time"),
        ),
        Tile(
            _("Enrolled within %(days)s days") % {"days": e.days},
            _pct(s.share("en.enrolled", "en.people")),
            _("%(n)s of %(total)s people met; %(already)s already had a case")
            % {
                "n": s.show("en.enrolled"),
                "total": s.show("en.people"),
                "already": s.show("en.already"),
            },
        ),
        Tile(
            _("Referral completion"),
            _pct(s.share(f"{total}.completed", f"{total}.finished")),
            _("completed of referrals with a final answer"),
        ),
        Tile(
            _("Crisis contacts after enrolment"),
            _change(s, ba),
            _("%(after)s in the %(days)s days after vs %(before)s before, %(people)s people")
            % {
                "after": s.show("ba.after"),
                "before": s.show("ba.before"),
                "days": ba.days,
                "people": s.show("ba.people"),
            },
        ),
    ]


def followup_section(out: CaseOutcomes, s: Suppressed) -> Section:
    f = out.followup
    names = {r.value: r.label for r in CancelReason}
    cancelled = ordered(s, (f"fu.cancelled.{k}" for k in f.cancelled))
    outcomes = [
        ("fu.within", _("Reached within %(h)s hours") % {"h": FOLLOWUP_HOURS}, charts.OK),
        ("fu.late", pgettext("people counted", "Reached later"), "#b7791f"),
        ("fu.not_reached", pgettext("people counted", "Not reached"), charts.DANGER),
    ] + [
        (
            key,
            _("Closed: %(reason)s") % {"reason": _label(names, key.removeprefix("fu.cancelled."))},
            charts.MUTED,
        )
        for key in cancelled
    ]
    summary = _(
        "%(people)s people met on crisis encounters had a first-contact follow-up whose "
        "window is over or who were reached: %(within)s reached within %(h)s hours "
        "(%(pct)s), %(late)s later, %(not_reached)s not reached. %(pending)s more are still "
        "within the window and %(dup)s duplicates are not counted."
    ) % {
        "people": s.show("fu.people"),
        "within": s.show("fu.within"),
        "h": FOLLOWUP_HOURS,
        "pct": _pct(s.share("fu.within", "fu.people")),
        "late": s.show("fu.late"),
        "not_reached": s.show("fu.not_reached"),
        "pending": s.show("fu.pending"),
        "dup": s.show("fu.duplicates"),
    }
    return Section(
        "followup",
        _("First contact after a crisis"),
        summary,
        charts.render_svg(
            charts.bar_chart(
                [_bar(s, key, label, color) for key, label, color in outcomes],
                x_title=_("People"),
            ),
            label=summary,
        )
        if f.people
        else "",
        [Row(label, s.show(key), s.share(key, "fu.people")) for key, label, _c in outcomes],
        (_("Outcome"), _("People"), _("Share")),
        note=_(
            "One row per person met on a crisis encounter that ended in the period. The "
            "clock starts when the team clears the encounter."
        ),
    )


def before_after_section(ba: BeforeAfter, s: Suppressed) -> Section:
    summary = _(
        "%(people)s people enrolled in the period, whose %(days)s days after enrolment are "
        "over, had %(before)s crisis contacts in the %(days)s days before and %(after)s in "
        "the %(days)s days after; %(fewer)s had fewer, %(same)s the same, %(more)s more. "
        "%(recent)s enrolled too recently are not counted yet."
    ) % {
        "people": s.show("ba.people"),
        "days": ba.days,
        "before": s.show("ba.before"),
        "after": s.show("ba.after"),
        "fewer": s.show("ba.fewer"),
        "same": s.show("ba.same"),
        "more": s.show("ba.more"),
        "recent": s.show("ba.too_recent"),
    }
    bars = [
        _bar(s, "ba.before", _("%(days)s days before") % {"days": ba.days}, charts.MUTED),
        _bar(s, "ba.after", _("%(days)s days after") % {"days": ba.days}, charts.ACCENT),
    ]
    people = [
        ("ba.fewer", _("People with fewer contacts after")),
        ("ba.same", _("People with the same number")),
        ("ba.more", _("People with more contacts after")),
        ("ba.none_after", _("People with no contact after")),
    ]
    return Section(
        "before_after",
        _("Crisis contacts before and after enrolment"),
        summary,
        charts.render_svg(charts.bar_chart(bars, x_title=_("Crisis contacts")), label=summary)
        if ba.people
        else "",
        [
            Row(_("Contacts before enrolment"), s.show("ba.before")),
            Row(_("Contacts after enrolment"), s.show("ba.after")),
        ]
        + [Row(label, s.show(key), s.share(key, "ba.people")) for key, label in people],
        ("", _("Count"), _("Share of people")),
        note=_(
            "People are often enrolled after a run of crises, and crises tend to ease with "
            "time anyway: a fall after enrolment is not by itself proof that case "
            "management caused it."
        ),
    )


RISK_NAMES = (
    ("high", gettext_lazy("High risk"), charts.DANGER),
    ("moderate", gettext_lazy("Moderate risk"), "#b7791f"),
    ("low", gettext_lazy("Low risk"), charts.ACCENT),
    ("none", gettext_lazy("No risk identified"), charts.OK),
)


def risk_section(out: CaseOutcomes, s: Suppressed) -> Section:
    """Suicide-risk screens (C-SSRS screener) on encounters documented by clinical staff."""
    summary = _(
        "%(screened)s of %(total)s encounters documented by clinical staff (%(pct)s) have a "
        "completed suicide-risk screen. Screens left incomplete, not counted as screened: "
        "%(incomplete)s."
    ) % {
        "screened": s.show("rs.screened"),
        "total": s.show("rs.encounters"),
        "pct": _pct(s.share("rs.screened", "rs.encounters")),
        "incomplete": s.show("rs.incomplete"),
    }
    levels = [(f"rs.risk.{key}", str(label), color) for key, label, color in RISK_NAMES]
    return Section(
        "risk",
        _("Suicide-risk screening"),
        summary,
        charts.render_svg(
            charts.bar_chart(
                [_bar(s, key, label, color) for key, label, color in levels],
                x_title=_("Encounters screened"),
            ),
            label=summary,
        )
        if out.risk.screened
        else "",
        [Row(label, s.show(key), s.share(key, "rs.screened")) for key, label, _c in levels],
        (_("Latest screen"), _("Encounters"), _("Share of screened")),
        note=_(
            "Encounters that began in the period, documented by a clinician, paramedic, peer or "
            "case manager. The latest C-SSRS screener of each encounter counts."
        ),
        empty=_("No encounter documented by clinical staff in this period."),
    )


def referral_row(r: ReferralStats | None, name: str, s: Suppressed) -> dict[str, Any]:
    """A row of the referral table as published (r None: the total row)."""
    key = referral_key(r)
    return {
        "service": name,
        **{column: s.show(f"{key}.{column}") for column in REFERRAL_COLUMNS},
        "completion_rate": s.share(f"{key}.completed", f"{key}.finished"),
    }


def referral_rows(out: CaseOutcomes, s: Suppressed) -> list[dict[str, Any]]:
    """Services with the most referrals first; services whose count is hidden last, by name
    (their place in the order would tell which counts theirs lies between)."""
    rows = sorted(
        out.referrals,
        key=lambda r: (
            s.hidden(f"{referral_key(r)}.sent"),
            0 if s.hidden(f"{referral_key(r)}.sent") else -r.sent,
            r.service.casefold(),
            r.service_id or 0,
        ),
    )
    return [referral_row(r, r.service, s) for r in rows]


@login_required
def followup_report(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.DASHBOARD_VIEW)
    today = local_today(user.agency)
    suppressed = suppressed_for(user)
    if suppressed:  # whole ended quarters only, as on the dashboard (views.quarter_from_request)
        period, errors = quarter_from_request(request, today)
    else:
        period, errors = period_from_request(request, today)
    out = case_outcomes(user, period)
    shown = publish(
        *case_values(
            out.followup,
            out.enrolment,
            out.referrals,
            out.referral_total,
            out.before_after,
            out.risk,
        ),
        suppressed=suppressed,
    )
    context = {
        "period": period,
        "errors": errors,
        "tiles": followup_tiles(out, shown),
        "sections": [
            followup_section(out, shown),
            before_after_section(out.before_after, shown),
            risk_section(out, shown),
        ],
        "referrals": referral_rows(out, shown),
        "referral_total": referral_row(None, _("All services"), shown),
        "suppressed": suppressed,
        "suppression_note": SUPPRESSION_NOTE,
        "quick": quarter_links(today, period, QUICK_QUARTERS)
        if suppressed
        else quick_ranges(user.agency, period),
        "quarter_choices": quarter_links(today, period, QUARTER_CHOICES) if suppressed else [],
        "agency": user.agency,
    }
    return render(request, "outcomes/followup.html", context)
