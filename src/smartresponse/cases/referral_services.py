"""Writes on consents, referrals and disclosures: check the policy, decide what may be
disclosed (consent.py), validate, save, log the disclosure and audit, in one transaction.

A referral goes out only when every category it carries is covered: an expired, revoked or
missing consent blocks it with a message naming the consent. Audit details hold codes and
ids, never a reason, a note or a name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors
from smartresponse.directory.models import Organization, Service, ServiceStatus
from smartresponse.encounters.models import Encounter
from smartresponse.people.models import Person, PersonRecord

from . import consent as rules
from . import loop
from .models import (
    Case,
    Consent,
    ConsentCategory,
    ConsentPurpose,
    Disclosure,
    DisclosureChannel,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from .referral_selectors import consents_visible, referral_visible
from .selectors import agency_tz, case_visible
from .services import _same_agency

MAX_FORM_BYTES = 10 * 1024 * 1024
FORM_TYPES = {
    ".pdf": ("application/pdf", b"%PDF"),
    ".png": ("image/png", b"\x89PNG"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}


def category_label(category: str) -> str:
    return str(dict(ConsentCategory.choices).get(category, category))


def service_status_label(status: str) -> str:
    """A directory service's status in words, as a refused referral names it."""
    labels = {
        ServiceStatus.ACTIVE.value: pgettext("service status", "active"),
        ServiceStatus.INACTIVE.value: pgettext("service status", "inactive"),
        ServiceStatus.DEFUNCT.value: pgettext("service status", "defunct"),
        ServiceStatus.TEMPORARILY_CLOSED.value: pgettext("service status", "temporarily closed"),
    }
    return labels.get(status, status)


# --------------------------------------------------------------------------- consent


def _check_form(upload: UploadedFile | None, errors: dict[str, list[str]]) -> None:
    if upload is None:
        return
    name = (upload.name or "").lower()
    ext = name[name.rfind(".") :] if "." in name else ""
    if ext not in FORM_TYPES:
        errors["signed_form"] = [_("The signed form must be a PDF, PNG or JPEG file.")]
        return
    if upload.size is not None and upload.size > MAX_FORM_BYTES:
        errors["signed_form"] = [_("The signed form is larger than 10 MB.")]
        return
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(FORM_TYPES[ext][1]):
        errors["signed_form"] = [_("The file is not the PDF, PNG or JPEG its name says.")]


def consent_create(
    *,
    user: Any,
    person: Person,
    recipient_organization: Organization | None,
    recipient_name: str,
    purpose: str,
    categories: list[str],
    starts_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    signed_form: UploadedFile | None = None,
) -> Consent:
    """Record a release of information the person signed."""
    require(user, Cap.CASE_WRITE)
    _same_agency(user, person)
    if not consents_visible(user, person):
        raise Http404("No such person.")
    errors: dict[str, list[str]] = {}
    recipient_name = recipient_name.strip()
    if recipient_organization is not None:
        if recipient_organization.agency_id != user.agency_id:
            errors["recipient_organization"] = [_("No such organisation.")]
        else:
            recipient_name = recipient_organization.name
    if not recipient_name:
        errors["recipient_name"] = [_("Name the organisation the person allows to receive it.")]
    elif len(recipient_name) > 255:
        errors["recipient_name"] = [_("At most 255 characters.")]
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose the purpose.")]
    categories = sorted(set(categories))
    if not categories:
        errors["categories"] = [_("Tick at least one category of information.")]
    elif any(c not in ConsentCategory.values for c in categories):
        errors["categories"] = [_("Unknown category.")]
    if starts_at is None:
        errors["starts_at"] = [_("Give the date the consent starts.")]
    if expires_at is not None and starts_at is not None and expires_at <= starts_at:
        errors["expires_at"] = [_("The consent must expire after it starts.")]
    _check_form(signed_form, errors)
    if errors:
        raise field_errors(errors)
    assert starts_at is not None
    with transaction.atomic():
        consent = Consent(
            agency_id=user.agency_id,
            person=person,
            recipient_organization=recipient_organization,
            recipient_name=recipient_name,
            purpose=purpose,
            categories=categories,
            starts_at=starts_at,
            expires_at=expires_at,
            created_by=user,
        )
        if signed_form is not None:
            ext = (signed_form.name or "").lower().rsplit(".", 1)[-1]
            # The stored name says nothing about the person.
            consent.signed_form.save(f"consent-{person.pk}.{ext}", signed_form, save=False)
        consent.save()
        audit_record(
            user=user,
            action="consent.create",
            obj=consent,
            detail={
                "person": person.pk,
                "recipient_organization": recipient_organization.pk
                if recipient_organization
                else None,
                "purpose": purpose,
                "categories": categories,
                "signed_form": bool(signed_form),
            },
        )
    return consent


def consent_revoke(*, user: Any, consent: Consent, reason: str = "") -> Consent:
    """The person withdraws the consent: from now on nothing goes under it."""
    require(user, Cap.CASE_WRITE)
    _same_agency(user, consent)
    if not consents_visible(user, consent.person):
        raise Http404("No such consent.")
    errors: dict[str, list[str]] = {}
    if consent.revoked_at is not None:
        errors["consent"] = [_("This consent is already revoked.")]
    if len(reason) > 255:
        errors["revoke_reason"] = [_("At most 255 characters.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        consent.revoked_at = timezone.now()
        consent.revoked_by = user
        consent.revoke_reason = reason.strip()
        consent.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(user=user, action="consent.revoke", obj=consent, detail={})
    return consent


# --------------------------------------------------------------------------- the decision


def recipient_of(service: Service) -> tuple[Organization | None, str, str]:
    """(organisation, name, key) of who receives a referral to `service`."""
    org = service.organization
    name = org.name if org is not None else service.name
    return org, name, rules.recipient_key(org.pk if org else None, name)


def refusal_message(refusal: rules.Refusal, recipient: str) -> str:
    what = category_label(refusal.category)
    when = refusal.since.date().isoformat() if refusal.since else ""
    values = {"category": what, "recipient": recipient, "id": refusal.consent_id, "date": when}
    messages = {
        rules.Reason.NO_CONSENT: _(
            "%(category)s: no consent to %(recipient)s covers it. Record the person's signed "
            "consent to %(recipient)s naming %(category)s, or leave it out."
        ),
        rules.Reason.REVOKED: _(
            "%(category)s: consent no. %(id)s to %(recipient)s was revoked on %(date)s."
        ),
        rules.Reason.EXPIRED: _(
            "%(category)s: consent no. %(id)s to %(recipient)s expired on %(date)s."
        ),
        rules.Reason.NOT_STARTED: _(
            "%(category)s: consent no. %(id)s to %(recipient)s starts only on %(date)s."
        ),
        rules.Reason.OTHER_PURPOSE: _(
            "%(category)s: consent no. %(id)s to %(recipient)s is for another purpose, "
            "not referral."
        ),
        rules.Reason.PART2_NO_EMERGENCY: _(
            "%(category)s: 42 CFR Part 2 records go only under a consent that names "
            "substance use and %(recipient)s; an emergency disclosure does not cover them."
        ),
    }
    return messages[refusal.reason] % values


def decide(
    *,
    person: Person,
    recipient_key: str,
    categories: list[str],
    purpose: str = rules.Purpose.REFERRAL,
    justification: str = "",
    at: dt.datetime | None = None,
    lock: bool = False,
) -> rules.Decision:
    """What may go to the recipient now. With `lock` (inside a transaction) the person's
    consents stay as read until it ends: a revocation waits for the disclosure, or the
    disclosure sees the revocation."""
    found = Consent.objects.filter(person=person).order_by("pk")
    consents = [c.terms() for c in (found.select_for_update() if lock else found)]
    return rules.disclosable(
        categories,
        consents,
        recipient_key,
        purpose,
        at or timezone.now(),
        emergency_justification=justification,
    )


def _bases(decision: rules.Decision) -> dict[str, str]:
    return {
        cat: (f"consent:{cid}" if basis == rules.Basis.CONSENT else basis.value)
        for cat, (basis, cid) in decision.allowed.items()
    }


def disclosure_log(
    *,
    user: Any,
    person: Person,
    decision: rules.Decision,
    channel: str,
    recipient_organization: Organization | None,
    recipient_name: str,
    purpose: str = rules.Purpose.REFERRAL,
    referral: Referral | None = None,
    justification: str = "",
) -> Disclosure:
    """Append one row to the accounting of disclosures (and an audit event). An emergency
    disclosure waits for a supervisor's review."""
    disclosure = Disclosure.objects.create(
        agency_id=person.agency_id,
        person=person,
        referral=referral,
        channel=channel,
        recipient_organization=recipient_organization,
        recipient_name=recipient_name,
        purpose=purpose,
        categories=sorted(decision.allowed),
        bases=_bases(decision),
        emergency=decision.emergency,
        justification=justification.strip() if decision.emergency else "",
        by=user,
    )
    audit_record(
        user=user,
        action="disclosure",
        obj=disclosure,
        detail={
            "person": person.pk,
            "referral": referral.pk if referral else None,
            "channel": channel,
            "categories": disclosure.categories,
            "bases": disclosure.bases,
            "emergency": disclosure.emergency,
        },
    )
    return disclosure


def disclosure_review(*, user: Any, disclosure: Disclosure, note: str = "") -> Disclosure:
    """A supervisor has read the justification of an emergency disclosure."""
    require(user, Cap.CASE_SUPERVISE)
    _same_agency(user, disclosure)
    errors: dict[str, list[str]] = {}
    if not disclosure.emergency:
        errors["disclosure"] = [_("Only emergency disclosures are reviewed.")]
    elif disclosure.reviewed_at is not None:
        errors["disclosure"] = [_("Already reviewed.")]
    elif disclosure.by_id == user.pk:
        # The review is a second pair of eyes on a disclosure made without consent.
        errors["disclosure"] = [_("Another supervisor must review a disclosure you made.")]
    if len(note) > 500:
        errors["review_note"] = [_("At most 500 characters.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        disclosure.reviewed_at = timezone.now()
        disclosure.reviewed_by = user
        disclosure.review_note = note.strip()
        disclosure.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(user=user, action="disclosure.review", obj=disclosure, detail={})
    return disclosure


# --------------------------------------------------------------------------- referrals


def referral_create(
    *,
    user: Any,
    person: Person,
    service: Service,
    categories: list[str],
    reason: str = "",
    case: Case | None = None,
    encounter: Encounter | None = None,
    justification: str = "",
) -> Referral:
    """Send a referral of `person` to `service`, carrying `categories`.

    Refused (field `categories`, one message per category naming the missing consent) when
    any category is not covered by an active consent to the service's organisation for
    referral, unless a written emergency justification (164.512(j)) covers it; substance use
    needs its own consent whatever the emergency. The sending is a disclosure: logged."""
    require(user, Cap.CASE_WRITE)
    _same_agency(user, person)
    _same_agency(user, service)
    errors: dict[str, list[str]] = {}
    if case is not None:
        if not case_visible(user, case) or case.person_id != person.pk:
            raise Http404("No such case.")
        if not case.followed:
            errors["case"] = [_("The case is closed.")]
    if encounter is not None:
        _same_agency(user, encounter)
        if not PersonRecord.objects.filter(encounter=encounter, person=person).exists():
            errors["person"] = [_("This person was not met on that encounter.")]
    if case is None and encounter is None:
        errors["case"] = [_("Refer from a case or an encounter.")]
    if not consents_visible(user, person):
        raise Http404("No such person.")
    if not service.listed:
        errors["service"] = [
            _("This service is not taking referrals (%(s)s).")
            % {"s": service_status_label(service.status)}
        ]
    categories = sorted(set(categories))
    if not categories:
        errors["categories"] = [_("Choose what the referral shares (at least one category).")]
    elif any(c not in ConsentCategory.values for c in categories):
        errors["categories"] = [_("Unknown category.")]
    reason = reason.strip()
    if len(reason) > 2000:
        errors["reason"] = [_("At most 2000 characters.")]
    justification = justification.strip()
    if justification and len(justification) < rules.MIN_JUSTIFICATION:
        errors["justification"] = [
            _("Write the justification: what serious and imminent threat the disclosure prevents.")
        ]
    if errors:
        raise field_errors(errors)
    org, recipient_name, key = recipient_of(service)
    now = timezone.now()
    with transaction.atomic():
        decision = decide(
            person=person,
            recipient_key=key,
            categories=categories,
            justification=justification,
            at=now,
            lock=True,
        )
        if decision.refused:
            raise field_errors(
                {"categories": [refusal_message(r, recipient_name) for r in decision.refused]}
            )
        consent_ids = decision.consent_ids
        referral = Referral.objects.create(
            agency_id=user.agency_id,
            person=person,
            case=case,
            encounter=encounter,
            service=service,
            recipient_name=recipient_name,
            categories=categories,
            bases=_bases(decision),
            consent_id=consent_ids[0] if consent_ids else None,
            emergency=decision.emergency,
            reason=reason,
            sent_at=now,
            answer_due_at=loop.answer_due(now, agency_tz(user)),
            status_changed_at=now,
            created_by=user,
        )
        ReferralEvent.objects.create(referral=referral, status=ReferralStatus.SENT, at=now, by=user)
        audit_record(
            user=user,
            action="referral.send",
            obj=referral,
            detail={
                "person": person.pk,
                "case": case.pk if case else None,
                "encounter": encounter.pk if encounter else None,
                "service": service.pk,
                "categories": categories,
                "consents": consent_ids,
                "emergency": decision.emergency,
            },
        )
        disclosure_log(
            user=user,
            person=person,
            decision=decision,
            channel=DisclosureChannel.REFERRAL,
            recipient_organization=org,
            recipient_name=recipient_name,
            referral=referral,
            justification=justification,
        )
    return referral


def _move_refused(referral: Referral, status: str) -> str:
    return _("A referral that is %(now)s cannot become %(new)s.") % {
        "now": referral.get_status_display(),
        "new": dict(ReferralStatus.choices)[status],
    }


def referral_set_status(
    *, user: Any, referral: Referral, status: str, answered_by: str = "", note: str = ""
) -> Referral:
    """Record the next step of the loop. The provider's answers (accepted, declined, in
    progress, completed, no-show) are recorded by the case manager as the provider gave them,
    with who at the provider said so; cancelling is the referring side's own decision."""
    require(user, Cap.CASE_WRITE)
    _same_agency(user, referral)
    if not referral_visible(user, referral):
        raise Http404("No such referral.")
    errors: dict[str, list[str]] = {}
    if status not in ReferralStatus.values:
        errors["status"] = [_("Choose a status.")]
    elif not loop.may_move(referral.status, status):
        errors["status"] = [_move_refused(referral, status)]
    answered_by = answered_by.strip()
    if len(answered_by) > 200:
        errors["answered_by"] = [_("At most 200 characters.")]
    if len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    if errors:
        raise field_errors(errors)
    now = timezone.now()
    with transaction.atomic():
        # Two people recording an answer at once: the second waits here for the first, then
        # goes on from the step the first recorded (the caller's copy may be older).
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        referral.status = current.status
        referral.status_changed_at = current.status_changed_at
        referral.expected_by = current.expected_by
        if not loop.may_move(referral.status, status):
            raise field_errors({"status": [_move_refused(referral, status)]})
        old = referral.status
        referral.status = status
        referral.status_changed_at = now
        fields = ["status", "status_changed_at"]
        if status == ReferralStatus.ACCEPTED and referral.expected_by is None:
            referral.expected_by = now + dt.timedelta(days=loop.EXPECTED_DAYS)
            fields.append("expected_by")
        referral.save(update_fields=fields)
        ReferralEvent.objects.create(
            referral=referral,
            status=status,
            at=now,
            by=user,
            answered_by=answered_by if status in loop.PROVIDER_ANSWERS else "",
            note=note.strip(),
        )
        audit_record(
            user=user, action="referral.status", obj=referral, detail={"from": old, "to": status}
        )
    return referral


def referral_export(*, user: Any, referral: Referral, channel: str) -> dict[str, Any]:
    """The referral as a FHIR R4 Bundle, carrying only what active consents allow now (an
    emergency disclosure covered the sending, not later copies). Refused when nothing may go.
    Logged as a disclosure."""
    from . import fhir

    require(user, Cap.CASE_WRITE)
    _same_agency(user, referral)
    if not referral_visible(user, referral):
        raise Http404("No such referral.")
    org, recipient_name, key = recipient_of(referral.service)
    now = timezone.now()
    with transaction.atomic():
        # Decided on locked consents, as a sending is: a revocation at the same moment either
        # waits for this export or is seen by it.
        decision = decide(
            person=referral.person,
            recipient_key=key,
            categories=list(referral.categories),
            at=now,
            lock=True,
        )
        if not decision.allowed:
            raise field_errors(
                {"categories": [refusal_message(r, recipient_name) for r in decision.refused]}
            )
        consents = list(Consent.objects.filter(pk__in=decision.consent_ids).order_by("pk"))
        bundle = fhir.referral_bundle(referral, decision=decision, consents=consents, at=now)
        disclosure_log(
            user=user,
            person=referral.person,
            decision=decision,
            channel=channel,
            recipient_organization=org,
            recipient_name=recipient_name,
            referral=referral,
        )
    return bundle
