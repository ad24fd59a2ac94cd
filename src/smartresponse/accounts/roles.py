"""Roles and capabilities: the one permission policy's data.

A role grants capabilities; every view, API endpoint and command asks
`smartresponse.accounts.policy` whether the user's role grants the capability it needs.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    CLINICIAN = "clinician"
    MEDIC = "medic"
    PEER = "peer"
    OFFICER = "officer"
    CASE_MANAGER = "casemanager"
    SUPERVISOR = "supervisor"
    DIRECTOR = "director"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.DISPATCHER: "Call-taker / dispatcher",
    Role.CLINICIAN: "Clinician",
    Role.MEDIC: "Medic (EMT / paramedic)",
    Role.PEER: "Peer specialist",
    Role.OFFICER: "Co-responder officer",
    Role.CASE_MANAGER: "Case manager",
    Role.SUPERVISOR: "Supervisor",
    Role.DIRECTOR: "Program director",
    Role.ANALYST: "Analyst",
    Role.ADMIN: "Administrator",
}


class Cap(StrEnum):
    CALL_CREATE = "call.create"
    CALL_VIEW = "call.view"
    CALL_OVERRIDE = "call.override"  # change the recommended tier, with a reason
    CALL_DISPATCH = "call.dispatch"  # assign units, queue, record why a call went unserved
    CALL_CLOSE = "call.close"
    UNIT_VIEW = "unit.view"
    UNIT_STATUS = "unit.status"
    BOARD_VIEW = "board.view"
    ENCOUNTER_WRITE = "encounter.write"
    ENCOUNTER_VIEW = "encounter.view"
    CLINICAL_VIEW = "clinical.view"  # clinical notes; never an officer
    DASHBOARD_VIEW = "dashboard.view"
    DASHBOARD_DRILLDOWN = "dashboard.drilldown"  # see the calls behind a number
    AUDIT_VIEW = "audit.view"
    TOKEN_MANAGE = "token.manage"
    PROTOCOL_VIEW = "protocol.view"
    PROTOCOL_MANAGE = "protocol.manage"  # upload, review and activate protocol versions
    PERSON_VIEW = "person.view"  # search the person index, see a person's records
    PERSON_LINK = "person.link"  # confirm or refuse links between records, import records
    PERSON_SAFETY_VIEW = "person.safety_view"  # name, case-manager flag, safety notes only


# Roles whose members may read clinical documentation (HIPAA minimum necessary:
# the treating team and the people who follow the person up).
CLINICAL_ROLES = frozenset(
    {Role.CLINICIAN, Role.MEDIC, Role.PEER, Role.CASE_MANAGER, Role.SUPERVISOR}
)

_FIELD_TEAM = {
    Cap.CALL_VIEW,
    Cap.UNIT_VIEW,
    Cap.UNIT_STATUS,
    Cap.BOARD_VIEW,
    Cap.ENCOUNTER_WRITE,
    Cap.ENCOUNTER_VIEW,
    Cap.CLINICAL_VIEW,
    Cap.PERSON_VIEW,
}

GRANTS: dict[Role, frozenset[Cap]] = {
    Role.DISPATCHER: frozenset(
        {
            Cap.CALL_CREATE,
            Cap.CALL_VIEW,
            Cap.CALL_OVERRIDE,
            Cap.CALL_DISPATCH,
            Cap.CALL_CLOSE,
            Cap.UNIT_VIEW,
            Cap.UNIT_STATUS,
            Cap.BOARD_VIEW,
            # Intake looks up the persons known to the service (a caller, a subject).
            Cap.PERSON_VIEW,
        }
    ),
    Role.CLINICIAN: frozenset(_FIELD_TEAM),
    Role.MEDIC: frozenset(_FIELD_TEAM),
    Role.PEER: frozenset(_FIELD_TEAM),
    # Officers see the safety picture and may document a co-response, never clinical notes.
    Role.OFFICER: frozenset(
        {
            Cap.CALL_VIEW,
            Cap.UNIT_VIEW,
            Cap.UNIT_STATUS,
            Cap.BOARD_VIEW,
            Cap.ENCOUNTER_VIEW,
            Cap.PERSON_SAFETY_VIEW,
        }
    ),
    Role.CASE_MANAGER: frozenset(
        {Cap.CALL_VIEW, Cap.ENCOUNTER_VIEW, Cap.CLINICAL_VIEW, Cap.PERSON_VIEW, Cap.PERSON_LINK}
    ),
    Role.SUPERVISOR: frozenset(
        {
            Cap.CALL_CREATE,
            Cap.CALL_VIEW,
            Cap.CALL_OVERRIDE,
            Cap.CALL_DISPATCH,
            Cap.CALL_CLOSE,
            Cap.UNIT_VIEW,
            Cap.UNIT_STATUS,
            Cap.BOARD_VIEW,
            Cap.ENCOUNTER_WRITE,
            Cap.ENCOUNTER_VIEW,
            Cap.CLINICAL_VIEW,
            Cap.DASHBOARD_VIEW,
            Cap.DASHBOARD_DRILLDOWN,
            Cap.PROTOCOL_VIEW,
            Cap.PROTOCOL_MANAGE,
            Cap.PERSON_VIEW,
            Cap.PERSON_LINK,
        }
    ),
    Role.DIRECTOR: frozenset(
        {
            Cap.CALL_VIEW,
            Cap.UNIT_VIEW,
            Cap.BOARD_VIEW,
            Cap.ENCOUNTER_VIEW,
            Cap.DASHBOARD_VIEW,
            Cap.DASHBOARD_DRILLDOWN,
            Cap.PROTOCOL_VIEW,
        }
    ),
    # Analysts work with aggregates only.
    Role.ANALYST: frozenset({Cap.DASHBOARD_VIEW}),
    Role.ADMIN: frozenset({Cap.AUDIT_VIEW, Cap.TOKEN_MANAGE, Cap.UNIT_VIEW}),
}
