"""Safety flags from call-taker notes: pure Python, no database."""

import subprocess
import sys
import timeit

import pytest

from smartresponse.triage import flags
from smartresponse.triage.flag_eval.evaluate import load_notes, score
from smartresponse.triage.flags import FLAG_KINDS, FLAG_LABELS, Flag, detect_flags, flag_kinds
from smartresponse.triage.protocol import SCREENING_QUESTIONS


def kinds(note: str) -> set[str]:
    return flag_kinds(note)


@pytest.mark.parametrize(
    "note",
    [
        "no weapons seen",
        "NO WEAPONS",
        "neg weapons",
        "w/o weapon",
        "did not see a gun",
        "RP STS SUBJ IS SITTING ON A BENCH, NO WEAPONS SEEN / NO THREATS",
        "weapons: none",
        "any weapons? no",
        "wpns neg, etoh pos",
        "No guns, knives or other weapons seen",
        "had a knife last week, none today",
        "HX OF CARRYING KNIVES BUT NONE SEEN TODAY",
        "served in the armed forces, no weapons",
        "bat in the house, RP wants help getting it out",
        "intox female at the bar, bar staff want her removed",
    ],
)
def test_negated_or_past_weapons_do_not_raise(note):
    assert "weapon" not in kinds(note)


@pytest.mark.parametrize(
    "note",
    [
        "no threats made",
        "not violent",
        "NOT COMBATIVE, NOT AGGRESSIVE",
        "verbal argument only, no physical",
        "hx of assault on staff in 2021, today calm",
        "RP STS BF HIT HER LAST YEAR, TODAY HE IS JUST REFUSING TO LEAVE",
        "having a panic attack",
        "threatening to hurt himself",
    ],
)
def test_negated_past_or_self_directed_violence_does_not_raise(note):
    assert "violence" not in kinds(note)


@pytest.mark.parametrize(
    "note",
    [
        "denies SI",
        "SI, NO PLAN, NO MEANS",
        "SI W/O PLAN",
        "passive SI, no plan, no access to weapons",
        "HX OF SUICIDE ATTEMPT 2019, CURRENTLY DENIES SI",
        "subj cut himself with a razor, bleeding, denies SI",
    ],
)
def test_suicidal_without_plan_does_not_raise(note):
    assert "suicidal_plan" not in kinds(note)


@pytest.mark.parametrize(
    "note",
    [
        "possibly armed",
        "unknown if weapons",
        "unk weapons",
        "may have a knife",
        "poss gun",
        "armed?",
        "Weapons? Unknown.",
        "RP NOT SURE IF SUBJ HAS A GUN",
        "does not know if he has a weapon",
        "cannot rule out weapons",
        "ASLT - WITH OR W/O WEAPONS",
        "HX OF CARRYING KNIVES, UNK IF HAS ONE TODAY",
    ],
)
def test_doubt_about_a_weapon_raises(note):
    assert "weapon" in kinds(note)


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("RP STS SUBJ W/ KNIFE", "weapon"),
        ("GUN INVOLVED", "weapon"),
        ("subj has a machete", "weapon"),
        ("male swinging a metal bar", "weapon"),
        ("pistal on the table", "weapon"),
        ("SUBJ IS CARRYING A MACHETTE", "weapon"),
        ("subj punching other patrons", "violence"),
        ("RP STS HER HUSBAND THREATENED TO KILL HER", "violence"),
        ("combative, swinging at staff", "violence"),
        ("RP STS SON IS CHOKING HIS GIRLFRIEND", "violence"),
        ("MALE DOWN, NOT BREATHING", "medical_emergency"),
        ("unconcious female at bus stop", "medical_emergency"),
        ("POSS OD, NARCAN GIVEN", "medical_emergency"),
        ("60 YO MALE C/O CHEST PAIN", "medical_emergency"),
        ("subj having a seizure", "medical_emergency"),
        ("bleeding heavily from arm", "medical_emergency"),
        ("SUBJ WANTS TO JUMP OFF BRIDGE", "suicidal_plan"),
        ("has pills and wants to take them all", "suicidal_plan"),
        ("SI W/ PLAN", "suicidal_plan"),
        ("TOOK 30 PILLS", "suicidal_plan"),
        ("suicidle male w/ knife to wrist", "suicidal_plan"),
        ("kids in the home during fight", "children_at_risk"),
        ("infant left alone in apt", "children_at_risk"),
        ("elderly mother being pushed around by her son", "children_at_risk"),
        ("RP STS SOMEONE BREAKING IN NOW", "crime_in_progress"),
        ("41/20 - ROBBERY - IN PROGRESS", "crime_in_progress"),
        ("walking in traffic on I-89", "traffic"),
        ("RP STS MALE HALF DRESSED YELLING IN ROADWAY / NO WEAPONS SEEN / POSS ETOH", "traffic"),
    ],
)
def test_each_kind_is_raised(note, kind):
    assert kind in kinds(note)


def test_cad_style_note_raises_only_what_it_says():
    note = "RP STS MALE HALF DRESSED YELLING IN ROADWAY / NO WEAPONS SEEN / POSS ETOH"
    assert kinds(note) == {"traffic"}


def test_ordinary_crisis_notes_raise_nothing():
    for note in [
        "INTOX MALE SLEEPING ON BENCH, BREATHING, SNORING PER RP",
        "welfare check on elderly female, neighbor hasnt seen her in 2 days",
        "trespass - male camping behind church, RP wants him gone, no threats made",
        "subj hearing voices, calm, wants to talk to someone, denies si/hi",
        "ETOH, POSS MH, UNWANTED AT FRONT DESK",
        "",
        "   ",
    ]:
        assert detect_flags(note) == [], note


def test_flag_text_is_the_notes_own_words_at_its_offsets():
    note = "RP sts subj W/ KNIFE in the roadway.  Not breathing?  kids present during DV"
    found = detect_flags(note)
    assert {f.kind for f in found} >= {"weapon", "traffic", "medical_emergency", "violence"}
    for f in found:
        assert isinstance(f, Flag)
        assert f.text == note[f.start : f.end]
        assert f.text.strip()
    weapon = next(f for f in found if f.kind == "weapon")
    assert weapon.text == "KNIFE"
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert len({f.kind for f in found}) == len(found)  # one flag per kind


def test_offsets_survive_case_and_cad_underscores():
    note = "127D_Suicide Threat - caller has a BOTTLE OF PILLS in hand"
    (flag,) = [f for f in detect_flags(note) if f.kind == "suicidal_plan"]
    assert flag.text == note[flag.start : flag.end]
    assert "Suicide" in flag.text


def test_flag_is_frozen():
    flag = detect_flags("poss gun")[0]
    with pytest.raises(AttributeError):
        flag.kind = "traffic"  # type: ignore[misc]


def test_labels_cover_the_screening_questions():
    assert set(FLAG_LABELS) == set(SCREENING_QUESTIONS) == set(FLAG_KINDS)
    assert FLAG_LABELS == SCREENING_QUESTIONS


def test_module_imports_without_django():
    code = (
        "import sys, smartresponse.triage.flags; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def labelled():
    return load_notes()


def test_evaluation_set_is_large_and_varied(labelled):
    assert len(labelled) >= 400
    assert sum(1 for n in labelled if not n.kinds) >= 200  # notes with no flag measure precision
    for kind in FLAG_KINDS:
        assert sum(1 for n in labelled if kind in n.kinds) >= 25, kind


def test_evaluation_set_scores(labelled):
    scores = score(labelled)
    for kind in ("weapon", "violence"):
        assert scores[kind].recall >= 0.98, (kind, [n.text for n in scores[kind].missed])
    for kind, s in scores.items():
        assert s.precision >= 0.85, (kind, [n.text for n in s.false_alarms])
        assert s.recall >= 0.85, (kind, [n.text for n in s.missed])


def test_skipping_patterns_by_first_word_never_changes_a_result(labelled, monkeypatch):
    texts = [n.text for n in labelled]
    gated = [detect_flags(t) for t in texts]
    monkeypatch.setattr(flags, "_GATED", False)
    assert [detect_flags(t) for t in texts] == gated


def test_a_note_takes_well_under_a_millisecond(labelled):
    texts = [n.text for n in labelled]
    seconds = timeit.timeit(lambda: [detect_flags(t) for t in texts], number=1)
    assert seconds / len(texts) < 0.001
