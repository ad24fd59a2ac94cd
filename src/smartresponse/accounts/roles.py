"""Roles and capabilities: the one permission policy's data.

A role grants capabilities; every view, API endpoint and command asks
`smartresponse.accounts.policy` whether the user's role grants the capability it needs.
"""

from __future__ import annotations

from enum import StrEnum


def gettext_noop(message: str) -> str:
    """Marks a label for the translation catalogue; it is translated where it is shown."""
    return message


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
    Role.DISPATCHER: gettext_noop("Call-taker / dispatcher"),
    Role.CLINICIAN: gettext_noop("Clinician"),
    Role.MEDIC: gettext_noop("Medic (EMT / paramedic)"),
    Role.PEER: gettext_noop("Peer specialist"),
    Role.OFFICER: gettext_noop("Co-responder officer"),
    Role.CASE_MANAGER: gettext_noop("Case manager"),
    Role.SUPERVISOR: gettext_noop("Supervisor"),
    Role.DIRECTOR: gettext_noop("Program director"),
    Role.ANALYST: gettext_noop("Analyst"),
    Role.ADMIN: gettext_noop("Administrator"),
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
    DIRECTORY_VIEW = "directory.view"  # search the resource directory (no personal data)
    DIRECTORY_MANAGE = "directory.manage"  # import and export the directory (HSDS)
    CAPACITY_UPDATE = "capacity.update"  # report a service's free beds or slots
    # Cases hold clinical and substance-use (42 CFR Part 2) detail: the people who follow the
    # person up only. Officers see the case-manager flag through PERSON_SAFETY_VIEW alone.
    CASE_VIEW = "case.view"  # caseloads, cases (needs, goals, notes), follow-up tasks
    CASE_WRITE = "case.write"  # enrol, update a case, log outreach attempts
    CASE_SUPERVISE = "case.supervise"  # every case of the agency, overdue page, rules, teams
    COSTS_MANAGE = "costs.manage"  # the unit costs behind cost per call and police time saved
    REPORT_PRODUCE = "report.produce"  # produce the program report (PDF, CSV, Excel) on the web
    PLAN_RUN = "plan.run"  # run the staffing planner (demand, roster simulation, optimiser)
    TRANSPARENCY_MANAGE = "transparency.manage"  # publish the public page of aggregates
    WORKFORCE_MANAGE = "workforce.manage"  # staff credentials, shifts, crews, courses, attendance
    TRAINING_TAKE = "training.take"  # call-taker triage training sessions (never live calls)
    TRAINING_MANAGE = "training.manage"  # write scenarios, see every trainee's accuracy


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
            Cap.TRAINING_TAKE,
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
        {
            Cap.CALL_VIEW,
            Cap.ENCOUNTER_VIEW,
            Cap.CLINICAL_VIEW,
            Cap.PERSON_VIEW,
            Cap.PERSON_LINK,
            Cap.CASE_VIEW,
            Cap.CASE_WRITE,
        }
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
            Cap.CASE_VIEW,
            Cap.CASE_WRITE,
            Cap.CASE_SUPERVISE,
            Cap.WORKFORCE_MANAGE,
            Cap.TRAINING_TAKE,
            Cap.TRAINING_MANAGE,
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
            Cap.COSTS_MANAGE,
            Cap.REPORT_PRODUCE,
            Cap.PLAN_RUN,
            Cap.TRANSPARENCY_MANAGE,
        }
    ),
    # Analysts work with aggregates only: their reports are always small-cell suppressed.
    Role.ANALYST: frozenset({Cap.DASHBOARD_VIEW, Cap.REPORT_PRODUCE, Cap.PLAN_RUN}),
    Role.ADMIN: frozenset({Cap.AUDIT_VIEW, Cap.TOKEN_MANAGE, Cap.UNIT_VIEW}),
}

# The resource directory lists services, not people: every role may search it. The staff who
# place people and hear the numbers (the field team, case managers, supervisors) report free
# beds and slots; supervisors and administrators import and export the directory.
_DIRECTORY: dict[Role, set[Cap]] = {role: {Cap.DIRECTORY_VIEW} for role in Role}
for _role in (Role.CLINICIAN, Role.MEDIC, Role.PEER, Role.CASE_MANAGER, Role.SUPERVISOR):
    _DIRECTORY[_role].add(Cap.CAPACITY_UPDATE)
for _role in (Role.SUPERVISOR, Role.ADMIN):
    _DIRECTORY[_role].add(Cap.DIRECTORY_MANAGE)
GRANTS = {role: caps | _DIRECTORY[role] for role, caps in GRANTS.items()}
