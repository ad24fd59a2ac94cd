"""Link runs: three outcomes by threshold, people's decisions win, merge and un-merge."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import (
    LinkDecision,
    LinkSettings,
    Person,
    PersonRecord,
    ReviewItem,
)
from smartresponse.people.services import (
    MergeRefused,
    link_run,
    person_merge,
    person_unmerge,
)

from .conftest import record

pytestmark = pytest.mark.django_db


def pid(r: PersonRecord) -> int | None:
    r.refresh_from_db()
    return r.person_id


def test_three_outcomes_and_counts(agency, fixture_records):
    r = fixture_records
    report = link_run(agency)
    assert pid(r[1]) == pid(r[2]) is not None  # linked automatically
    assert pid(r[3]) != pid(r[4])  # sent to review, kept apart for now
    assert pid(r[5]) not in (pid(r[3]), pid(r[4]), pid(r[1]))  # kept apart
    assert pid(r[6]) is None  # nothing to link on: linked to nothing
    item = ReviewItem.objects.get()
    assert (item.record_a_id, item.record_b_id) == (r[3].pk, r[4].pk)
    assert 0.5 <= item.probability < 0.9999
    fields = {e["field"]: e for e in item.evidence}
    assert fields["family_name"]["weight"] > 0 and "level" in fields["dob"]
    assert (report.records, report.blank_records, report.clusters) == (6, 1, 4)
    assert (report.created, report.merged, report.split, report.sent_to_review) == (4, 0, 0, 1)
    assert AuditEvent.objects.filter(action="person.link_run").count() == 1
    # a second run changes nothing and sends nothing new to review
    again = link_run(agency)
    assert (again.created, again.merged, again.split, again.sent_to_review) == (0, 0, 0, 0)
    assert ReviewItem.objects.count() == 1 and PersonRecord.objects.count() == 6


def test_human_decisions_override_the_model_on_the_next_run(agency, fixture_records, casemanager):
    r = fixture_records
    link_run(agency)
    LinkDecision.objects.create(
        agency=agency, record_a=r[1], record_b=r[2], same=False, decided_by=casemanager
    )
    LinkDecision.objects.create(
        agency=agency, record_a=r[3], record_b=r[4], same=True, decided_by=casemanager
    )
    report = link_run(agency)
    assert pid(r[1]) != pid(r[2])
    assert pid(r[3]) == pid(r[4])
    assert (report.split, report.merged) == (1, 1)
    assert PersonRecord.objects.count() == 6


def test_different_is_never_linked_even_through_a_third_record(agency, casemanager):
    LinkSettings.objects.create(agency=agency, link_threshold=0.95, review_threshold=0.5)
    same = dict(family_name="Smith", dob="1985-04-12", phone="8025550101")
    a = record(agency, given_name="Jonathan", **same)
    b = record(agency, given_name="Jonathan", **same)
    c = record(agency, given_name="Jonathan", **same)
    link_run(agency)
    assert pid(a) == pid(b) == pid(c)
    LinkDecision.objects.create(
        agency=agency, record_a=a, record_b=c, same=False, decided_by=casemanager
    )
    report = link_run(agency)
    assert pid(a) != pid(c)
    assert report.split == 1


def test_merge_is_refused_across_a_different_decision(agency, fixture_records, casemanager):
    r = fixture_records
    link_run(agency)
    p3, p5 = Person.objects.get(pk=pid(r[3])), Person.objects.get(pk=pid(r[5]))
    LinkDecision.objects.create(
        agency=agency, record_a=r[3], record_b=r[5], same=False, decided_by=casemanager
    )
    with pytest.raises(MergeRefused, match="marked as different"):
        person_merge(user=casemanager, target=p3, source=p5)
    assert pid(r[5]) == p5.pk


def test_merge_is_kept_by_later_runs_and_audited(agency, fixture_records, casemanager, officer):
    r = fixture_records
    link_run(agency)
    p4, p5 = Person.objects.get(pk=pid(r[4])), Person.objects.get(pk=pid(r[5]))
    with pytest.raises(PermissionDenied):
        person_merge(user=officer, target=p4, source=p5)
    person_merge(user=casemanager, target=p4, source=p5)
    assert pid(r[5]) == p4.pk
    assert AuditEvent.objects.filter(action="person.merge").count() == 1
    link_run(agency)
    assert pid(r[4]) == pid(r[5])


def test_unmerge_never_loses_a_record_and_sticks(agency, fixture_records, casemanager):
    r = fixture_records
    link_run(agency)
    old = pid(r[1])
    new = person_unmerge(user=casemanager, record=r[2])
    assert pid(r[2]) == new.pk and pid(r[1]) == old and new.pk != old
    assert PersonRecord.objects.count() == 6
    assert AuditEvent.objects.filter(action="person.unmerge").count() == 1
    with pytest.raises(MergeRefused):
        person_unmerge(user=casemanager, record=r[2])  # its only record
    link_run(agency)
    assert pid(r[1]) != pid(r[2])


def test_thresholds_are_validated():
    with pytest.raises(ValidationError):
        LinkSettings(link_threshold=0.8, review_threshold=0.9).clean()
    with pytest.raises(ValidationError):
        LinkSettings(frequent_rules=[{"contacts": 0, "days": 30}]).clean()
    LinkSettings().clean()


def test_link_run_command(agency, fixture_records, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text("given_name,family_name,dob\nMario,Garcia,1990-01-01\n,,\n")
    out = StringIO()
    call_command(
        "link", "run", "--agency", agency.slug, "--file", str(path), "--no-progress", stdout=out
    )
    text = out.getvalue()
    assert "Imported 1 record(s)" in text
    assert "created 4, merged 0, split 0, sent to review 1" in text
    assert pid(fixture_records[5]) == PersonRecord.objects.get(source_id="more.csv:2").person_id
