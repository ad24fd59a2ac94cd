"""Credentials: bad dates refused with the message beside the field; the supervisor's staff
page lists who lapses first; each person sees their own record; other agencies stay apart."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.workforce.models import Credential, StaffProfile
from smartresponse.workforce.services import CredentialInput, credential_save, profile_save

from .conftest import TODAY, credential

pytestmark = pytest.mark.django_db


def test_an_expiry_before_the_issue_date_is_refused(supervisor, medic):
    data = CredentialInput("emt", issued=dt.date(2026, 5, 1), expires=dt.date(2026, 4, 30))
    with pytest.raises(ValidationError) as refused:
        credential_save(user=supervisor, person=medic, data=data)
    assert refused.value.message_dict == {"expires": ["The expiry date is before the issue date."]}
    assert not Credential.objects.exists()


def test_the_form_shows_the_date_error_beside_the_expiry_field(client, supervisor, medic):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-credential-new", args=[medic.pk]),
        {"kind": "emt", "issuer": "NREMT", "issued": "2026-05-01", "expires": "2026-04-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = re.search(
        r'<div class="field field-error">\s*<label for="id_expires".*?</div>', html, re.S
    )
    assert field and "The expiry date is before the issue date." in field.group(0)
    assert 'value="NREMT"' in html  # what was typed is kept
    assert not Credential.objects.exists()


def test_a_supervisor_adds_and_corrects_a_credential(client, supervisor, medic):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-credential-new", args=[medic.pk]),
        {"kind": "emt", "issuer": "NREMT", "number": "E-1", "issued": "2025-01-01"},
    )
    assert response.status_code == 302
    cred = Credential.objects.get(user=medic)
    assert (cred.kind, cred.issuer, cred.expires) == ("emt", "NREMT", None)
    # Opening the form shows one person's credential: that reading is audited too.
    assert (
        'value="E-1"'
        in client.get(reverse("workforce-credential-edit", args=[cred.pk])).content.decode()
    )
    assert AuditEvent.objects.get(action="credential.view").detail == {
        "person": medic.pk,
        "kind": "emt",
    }
    response = client.post(
        reverse("workforce-credential-edit", args=[cred.pk]),
        {"kind": "emt", "issuer": "NREMT", "number": "E-1", "issued": "2025-01-01",
         "expires": "2027-01-01"},
    )  # fmt: skip
    assert response.status_code == 302
    cred.refresh_from_db()
    assert cred.expires == dt.date(2027, 1, 1)
    actions = list(
        AuditEvent.objects.filter(object_id=str(cred.pk), object_type="credential")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["credential.create", "credential.view", "credential.update"]


def test_the_staff_page_lists_whoever_lapses_first_on_top(
    client, frozen, supervisor, medic, ana, make_user
):
    peer = make_user(Role.PEER, username="cy")
    credential(ana, "licensed_clinician", expires=None)
    credential(ana, "cpr", expires=TODAY + dt.timedelta(days=200))
    credential(medic, "emt", expires=TODAY + dt.timedelta(days=12))
    credential(peer, "cpr", expires=TODAY - dt.timedelta(days=3))
    client.force_login(supervisor)
    html = client.get(reverse("workforce")).content.decode()
    assert (
        html.index(f'id="staff-{peer.pk}"')
        < html.index(f'id="staff-{medic.pk}"')
        < html.index(f'id="staff-{ana.pk}"')
    )
    assert "CPR: lapsed 3 days ago" in html
    assert "EMT certification: lapses in 12 days" in html
    assert "Licensed clinician: current, does not expire" in html
    # Filtered on one kind, those without it are shown as such.
    html = client.get(reverse("workforce"), {"kind": "emt"}).content.decode()
    assert (
        "EMT certification: lapses in 12 days" in html and "CPR" not in html.split('id="staff"')[1]
    )
    assert "none of this kind" in html
    assert AuditEvent.objects.filter(action="staff.list", user=supervisor).count() == 2


def test_a_clinician_may_not_manage_others_but_sees_their_own(client, ana, medic):
    credential(ana, "licensed_clinician", expires=None)
    client.force_login(ana)
    assert client.get(reverse("workforce")).status_code == 403
    assert client.get(reverse("workforce-person", args=[medic.pk])).status_code == 403
    response = client.post(
        reverse("workforce-credential-new", args=[ana.pk]), {"kind": "cpr", "issued": "2026-01-01"}
    )
    assert response.status_code == 403 and not Credential.objects.filter(kind="cpr").exists()
    for url in (reverse("workforce-me"), reverse("workforce-person", args=[ana.pk])):
        html = client.get(url).content.decode()
        assert "Licensed clinician" in html
        assert "Add a credential" not in html  # reading, not managing
    assert AuditEvent.objects.filter(action="staff.transcript", user=ana).count() == 2


def test_another_agencys_staff_are_not_found(client, supervisor, make_user, other_agency):
    stranger = make_user(Role.MEDIC, agency_=other_agency, username="stranger")
    cred = credential(stranger, "emt")
    client.force_login(supervisor)
    assert client.get(reverse("workforce-person", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("workforce-credential-edit", args=[cred.pk])).status_code == 404
    response = client.post(
        reverse("workforce-credential-new", args=[stranger.pk]),
        {"kind": "cpr", "issued": "2026-01-01"},
    )
    assert response.status_code == 404
    assert "stranger" not in client.get(reverse("workforce")).content.decode()


def test_profile_team_supervisor_and_extra_roles(client, supervisor, ana, make_user):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-profile", args=[ana.pk]),
        {"team": "Downtown", "supervisor": supervisor.pk, "extra_roles": ["peer"]},
    )
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=ana)
    assert (profile.team, profile.supervisor, profile.extra_roles) == (
        "Downtown",
        supervisor,
        ["peer"],
    )
    html = client.get(reverse("workforce-person", args=[ana.pk])).content.decode()
    assert "Clinician, Peer specialist" in html
    with pytest.raises(ValidationError, match="own supervisor"):
        profile_save(user=supervisor, person=ana, team="", home_unit=None, supervisor=ana,
                     extra_roles=[])  # fmt: skip


def test_an_account_of_no_agency_has_no_staff_record(client):
    root = User.objects.create_user(username="root", password="pw-for-tests-1", role="admin")
    client.force_login(root)
    assert client.get(reverse("workforce-person", args=[root.pk])).status_code == 404
    assert client.get(reverse("workforce-me")).status_code == 403
