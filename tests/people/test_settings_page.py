"""The linkage settings page: supervisors edit, other person-index roles read."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import LinkSettings, PersonRecord, ReviewItem
from smartresponse.people.services import link_run

pytestmark = pytest.mark.django_db

URL = "/people/settings/"


@pytest.fixture(autouse=True)
def _english():
    yield
    translation.activate("en")


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


def form(link="0.9", review="0.4", rules=((4, 30), (6, 120))):
    data = {"link_threshold": link, "review_threshold": review}
    for i, (contacts, days) in enumerate(rules):
        data[f"rule_{i}_contacts"] = str(contacts)
        data[f"rule_{i}_days"] = str(days)
    return data


def pid(r: PersonRecord) -> int | None:
    r.refresh_from_db()
    return r.person_id


def test_url_name():
    assert reverse("people-settings") == URL


def test_supervisor_sees_the_form_with_the_defaults(client, supervisor):
    client.force_login(supervisor)
    html = client.get(URL).content.decode()
    assert 'name="link_threshold"' in html and 'value="0.95"' in html
    assert 'name="rule_2_days"' in html  # three rows, the third empty
    assert 'name="rule_0_contacts" type="number" min="1" step="1" value="3"' in html


def test_supervisor_saves_and_the_thresholds_take_effect(client, agency, supervisor):
    client.force_login(supervisor)
    response = client.post(URL, form(link="0.9", review="0.4", rules=((4, 30), (6, 120))))
    assert response.status_code == 302 and response["Location"] == URL
    s = LinkSettings.for_agency(agency.pk)
    assert (s.link_threshold, s.review_threshold) == (0.9, 0.4)
    assert s.frequent_rules == [{"contacts": 4, "days": 30}, {"contacts": 6, "days": 120}]
    t = s.thresholds()
    assert (t.link, t.review) == (0.9, 0.4)
    assert "Linkage settings saved." in client.get(URL).content.decode()


def test_saved_link_threshold_is_used_by_link_runs(client, agency, supervisor, fixture_records):
    # Under the fixture's 0.999 the pair 3-4 goes to review; at 0.99 it links outright.
    r = fixture_records
    client.force_login(supervisor)
    assert client.post(URL, form(link="0.99", review="0.5", rules=((3, 30),))).status_code == 302
    report = link_run(agency)
    assert pid(r[3]) == pid(r[4]) is not None
    assert report.sent_to_review == 0 and not ReviewItem.objects.exists()


def test_an_audit_event_with_old_and_new_values(client, agency, supervisor):
    LinkSettings.objects.create(agency=agency, link_threshold=0.95, review_threshold=0.5)
    client.force_login(supervisor)
    client.post(URL, form(link="0.97", review="0.6", rules=((2, 7),)))
    event = AuditEvent.objects.get(action="link_settings.update")
    assert event.agency_id == agency.pk and event.user == supervisor
    assert event.detail["old"] == {
        "link_threshold": 0.95,
        "review_threshold": 0.5,
        "frequent_rules": [{"contacts": 3, "days": 30}, {"contacts": 5, "days": 90}],
    }
    assert event.detail["new"] == {
        "link_threshold": 0.97,
        "review_threshold": 0.6,
        "frequent_rules": [{"contacts": 2, "days": 7}],
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (form(link="0.5", review="0.5"), "review_threshold"),
        (form(link="0.5", review="0.7"), "review_threshold"),
        (form(review="-0.1"), "review_threshold"),
        (form(link="1.5"), "link_threshold"),
        (form(link="high"), "link_threshold"),
        (form(rules=((3, 0),)), "rule_0_days"),
        (form(rules=((3, 30), (2, 400))), "rule_1_days"),
        (form(rules=((-2, 30),)), "rule_0_contacts"),
        (form(rules=((1.5, 30),)), "rule_0_contacts"),
        (form(rules=()), "frequent_rules"),
    ],
)
def test_bad_values_show_field_errors_and_change_nothing(client, agency, supervisor, data, field):
    LinkSettings.objects.create(agency=agency, link_threshold=0.95, review_threshold=0.5)
    client.force_login(supervisor)
    response = client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not saved: fix the fields marked below." in html
    assert response.context["errors"].get(field)
    if field != "frequent_rules":
        assert f'id="id_{field}_error"' in html
    s = LinkSettings.objects.get(agency=agency)
    assert (s.link_threshold, s.review_threshold) == (0.95, 0.5)
    assert s.frequent_rules == [{"contacts": 3, "days": 30}, {"contacts": 5, "days": 90}]
    assert not AuditEvent.objects.filter(action="link_settings.update").exists()


def test_bad_values_are_kept_in_the_form(client, supervisor):
    client.force_login(supervisor)
    html = client.post(URL, form(link="0.8", review="0.85")).content.decode()
    assert 'value="0.85"' in html and 'value="0.8"' in html


def test_case_manager_reads_only_and_may_not_post(client, agency, casemanager):
    LinkSettings.objects.create(
        agency=agency, link_threshold=0.93, review_threshold=0.45, frequent_rules=[]
    )
    client.force_login(casemanager)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "0.93" in html and "0.45" in html and "No rule set." in html
    assert 'name="link_threshold"' not in html
    assert client.post(URL, form()).status_code == 403
    assert LinkSettings.objects.get(agency=agency).link_threshold == 0.93


def test_field_roles_read_only(client, clinician):
    client.force_login(clinician)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Only a supervisor may change these settings." in response.content.decode()
    assert client.post(URL, form()).status_code == 403


def test_officer_is_refused(client, officer):
    client.force_login(officer)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form()).status_code == 403


def test_anonymous_is_sent_to_log_in(client, db):
    assert client.get(URL).status_code == 302


def test_other_agency_is_untouched(client, agency, other_agency, make_user, supervisor):
    LinkSettings.objects.create(agency=other_agency, link_threshold=0.91, review_threshold=0.3)
    theirs = make_user(Role.SUPERVISOR, agency_=other_agency)
    client.force_login(supervisor)
    html = client.get(URL).content.decode()
    assert 'value="0.91"' not in html and 'value="0.95"' in html
    client.post(URL, form(link="0.8", review="0.2"))
    other = LinkSettings.objects.get(agency=other_agency)
    assert (other.link_threshold, other.review_threshold) == (0.91, 0.3)
    assert LinkSettings.for_agency(agency.pk).link_threshold == 0.8
    client.force_login(theirs)
    assert 'value="0.91"' in client.get(URL).content.decode()


def test_linked_from_link_runs_and_frequent_contacts(client, supervisor):
    client.force_login(supervisor)
    for page in ("people-link-runs", "people-frequent"):
        assert f'href="{URL}"' in client.get(reverse(page)).content.decode()


def test_page_in_spanish(client, supervisor):
    client.force_login(supervisor)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Ajustes de vinculación" in html and "Umbral de revisión" in html
    html = client.post(
        URL, form(link="0.5", review="0.6"), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "El umbral de revisión debe ser inferior al umbral de vinculación." in html
