"""A referral as a FHIR R4 Bundle (collection) of ServiceRequest + Task + Patient + Consent,
following the SDOH Clinical Care implementation guide's referral pattern, validated with
`fhir.resources.R4B` (the R4-compatible models).

Only the categories the decision allowed are in it: the Patient carries a name, birth date and
phone only when demographics are allowed; the ServiceRequest names the needs it addresses only
for the categories allowed and the reason only under "case notes". Ids are stable UUIDs made
from the agency and the record ids, so a second export of the same referral matches the first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from . import consent as rules
from . import loop
from .models import Consent, Referral

NAMESPACE = uuid.UUID("6f1c2d4e-4b7a-5e3f-9a61-2f0c8b7d5a10")
CATEGORY_SYSTEM = "https://smartresponse.example.org/fhir/CodeSystem/data-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PART2_POLICY = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
HIPAA_POLICY = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164"
PURPOSE_CODE = {"referral": "TREAT", "treatment": "TREAT", "payment": "HPAYMT"}
CATEGORY_TEXT = {
    "demographics": "Demographics and contact",
    "housing": "Housing",
    "mental_health": "Mental health",
    "substance_use": "Substance use treatment (42 CFR Part 2)",
    "medical": "Medical",
    "social": "Income, benefits, legal, family",
    "case_notes": "Reason for referral and case notes",
}
# The needs a referral may say it addresses (ServiceRequest.reasonCode).
NEED_CATEGORIES = ("housing", "mental_health", "substance_use", "medical", "social")


def _uid(referral: Referral, kind: str, key: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{referral.agency_id}:{kind}:{key}"))


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _patient(referral: Referral, pid: str, allowed: set[str]) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if "demographics" not in allowed:
        return patient
    from smartresponse.people.models import PersonRecord

    records = list(
        PersonRecord.objects.filter(person_id=referral.person_id)
        .order_by("pk")
        .only("given_name", "family_name", "dob", "phone")
    )
    named = next((r for r in records if r.given_name or r.family_name), None)
    if named is not None:
        name: dict[str, Any] = {"use": "usual"}
        if named.family_name:
            name["family"] = named.family_name
        if named.given_name:
            name["given"] = [named.given_name]
        patient["name"] = [name]
    dob = next((r.dob for r in records if r.dob), None)
    if dob is not None:
        patient["birthDate"] = dob.isoformat()
    phone = next((r.phone for r in records if r.phone), None)
    if phone:
        patient["telecom"] = [{"system": "phone", "value": phone}]
    return patient


def _consent(c: Consent, cid: str, patient_ref: str) -> dict[str, Any]:
    cats = sorted(c.categories)
    period: dict[str, str] = {"start": _iso(c.starts_at)}
    if c.expires_at is not None:
        period["end"] = _iso(c.expires_at)
    policies = [{"uri": HIPAA_POLICY}]
    if set(cats) & rules.PART2:
        policies.append({"uri": PART2_POLICY})
    return {
        "resourceType": "Consent",
        "id": cid,
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Consent"}]}
        ],
        "patient": {"reference": patient_ref},
        "dateTime": _iso(c.created_at),
        "policy": policies,
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                                "display": "information recipient",
                            }
                        ]
                    },
                    "reference": {"display": c.recipient_name},
                }
            ],
            "purpose": [{"system": ACT_REASON, "code": PURPOSE_CODE.get(c.purpose, "TREAT")}],
            "code": [
                {
                    "coding": [
                        {"system": CATEGORY_SYSTEM, "code": cat, "display": CATEGORY_TEXT[cat]}
                    ]
                }
                for cat in cats
            ],
        },
    }


def referral_bundle(
    referral: Referral,
    *,
    decision: rules.Decision,
    consents: list[Consent],
    at: dt.datetime,
) -> dict[str, Any]:
    """The Bundle as JSON-ready data, validated (raises pydantic's ValidationError if not)."""
    allowed = set(decision.allowed)
    pid = _uid(referral, "patient", referral.person_id)
    sid = _uid(referral, "service-request", referral.pk)
    tid = _uid(referral, "task", referral.pk)
    patient_ref = f"urn:uuid:{pid}"
    status = loop.Status(referral.status)
    service = referral.service
    requester = {"display": referral.created_by.get_username()}
    performer = {"display": referral.recipient_name}
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": sid,
        "identifier": [
            {"system": "https://smartresponse.example.org/fhir/referral", "value": str(referral.pk)}
        ],
        "status": loop.FHIR_REQUEST_STATUS[status],
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "https://smartresponse.example.org/fhir/hsds-service",
                    "code": service.hsds_id,
                    "display": service.name,
                }
            ],
            "text": service.name,
        },
        "subject": {"reference": patient_ref},
        "authoredOn": _iso(referral.sent_at),
        "requester": requester,
        "performer": [performer],
    }
    needs = [c for c in NEED_CATEGORIES if c in allowed]
    if needs:
        request["reasonCode"] = [
            {"coding": [{"system": CATEGORY_SYSTEM, "code": c, "display": CATEGORY_TEXT[c]}]}
            for c in needs
        ]
    if "case_notes" in allowed and referral.reason:
        request["note"] = [{"text": referral.reason}]
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"urn:uuid:{sid}", "resource": request},
    ]
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": tid,
        "status": loop.FHIR_TASK_STATUS[status],
        "businessStatus": {"text": referral.get_status_display()},
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                }
            ]
        },
        "focus": {"reference": f"urn:uuid:{sid}"},
        "for": {"reference": patient_ref},
        "authoredOn": _iso(referral.sent_at),
        "lastModified": _iso(referral.status_changed_at),
        "requester": requester,
        "owner": performer,
        "restriction": {"period": {"end": _iso(referral.answer_due_at)}},
    }
    entries.append({"fullUrl": f"urn:uuid:{tid}", "resource": task})
    entries.append({"fullUrl": patient_ref, "resource": _patient(referral, pid, allowed)})
    for c in consents:
        cid = _uid(referral, "consent", c.pk)
        entries.append({"fullUrl": f"urn:uuid:{cid}", "resource": _consent(c, cid, patient_ref)})
    data = {
        "resourceType": "Bundle",
        "id": _uid(referral, "bundle", f"{referral.pk}:{at.isoformat()}"),
        "type": "collection",
        "timestamp": _iso(at),
        "entry": entries,
    }
    validate(data)
    return data


def validate(data: dict[str, Any]) -> Bundle:
    """The Bundle as fhir.resources' R4B model; raises when it breaks the R4 structure."""
    return Bundle.model_validate(data)
