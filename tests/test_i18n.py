"""Spanish translation: the catalogue is complete for key strings and pages switch language."""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# Strings on the pages used most (login, board, intake, call page, my unit, encounter form).
KEY_STRINGS = [
    "Skip to content",
    "Log out",
    "Language",
    "Change language",
    "Board",
    "Live board",
    "Open calls",
    "No open calls.",
    "New call",
    "Triage and save",
    "Call type",
    "Address",
    "Safety flags",
    "Assign",
    "Close the call",
    "My unit",
    "Change status",
    "Document encounter",
    "Save encounter",
    "Dashboard",
]


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    # LocaleMiddleware leaves the last request's language active in the thread.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _unquote(s: str) -> str:
    return s[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _po_entries() -> dict[str, str]:
    """Singular, context-free entries of the .po file: msgid -> msgstr."""
    entries: dict[str, str] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                current = m.group(1)
                fields[current] = _unquote(m.group(2))
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
        if fields.get("msgid") and "msgctxt" not in fields and "msgid_plural" not in fields:
            entries[fields["msgid"]] = fields.get("msgstr", "")
    return entries


def test_key_strings_are_translated() -> None:
    entries = _po_entries()
    missing = [s for s in KEY_STRINGS if not entries.get(s)]
    assert missing == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_compiled_catalogue_matches_po() -> None:
    # The .mo is committed (servers have no gettext tools): it must not lag the .po.
    with MO.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = [
        msgid
        for msgid, msgstr in _po_entries().items()
        if msgstr and catalogue.gettext(msgid) != msgstr
    ]
    assert stale == []


def test_login_page_in_spanish(client: Client) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert "Saltar al contenido" in html
    assert "Cambiar idioma" in html
    assert '<label for="lang-select" class="visually-hidden">Idioma</label>' in html


def test_login_page_in_english_by_default(client: Client) -> None:
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Change language" in html


def test_board_in_spanish(client: Client, dispatcher: User) -> None:
    client.force_login(dispatcher)
    response = client.get("/board/", HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Tablero en vivo", "Llamadas abiertas", "Nueva llamada", "Cerrar sesión"):
        assert text in html
    assert "Live board" not in html


def test_set_language_switches_to_spanish(client: Client, dispatcher: User) -> None:
    client.force_login(dispatcher)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/board/"})
    assert response.status_code == 302
    assert response["Location"] == "/board/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    html = client.get("/board/").content.decode()
    assert "Tablero en vivo" in html
    assert '<option value="es" lang="es" selected>Español</option>' in html


def test_set_language_back_to_english(client: Client, dispatcher: User) -> None:
    client.force_login(dispatcher)
    client.post("/i18n/setlang/", {"language": "es", "next": "/board/"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/board/"})
    assert "Live board" in client.get("/board/").content.decode()


def test_set_language_ignores_offsite_next(client: Client, db: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "https://example.com/"})
    assert response.status_code == 302
    assert "example.com" not in response["Location"]


def test_the_login_page_itself_speaks_spanish(client):
    from django.utils import translation

    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    translation.activate("en")
    assert "Iniciar sesión" in html and "Contraseña" in html and "Usuario" in html


def test_dashboard_in_spanish(client: Client, make_user: Any) -> None:
    client.force_login(make_user(Role.DIRECTOR))
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    translation.activate(settings.LANGUAGE_CODE)
    assert response.status_code == 200
    for text in (
        "Panel del programa",
        "Llamadas recibidas",
        "Elegibles, despachadas, atendidas",
        "Intervalos de respuesta (minutos)",
        "Cómo terminaron las intervenciones",
        "Últimos 28 días",
    ):
        assert text in html
    assert "Program dashboard" not in html


def test_protocols_page_in_spanish(client: Client, make_user: Any) -> None:
    client.force_login(make_user(Role.SUPERVISOR))
    response = client.get("/protocols/", HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    translation.activate(settings.LANGUAGE_CODE)
    assert response.status_code == 200
    for text in ("Protocolos de clasificación", "Vigente ahora", "Protocolos predefinidos"):
        assert text in html
    assert "Triage protocols" not in html


# ----------------------------------------------------------------- the whole catalogue


def _po_blocks() -> list[dict[str, Any]]:
    """Every entry of the .po file with its flags, plural forms and context."""
    blocks = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        flags: list[str] = []
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [f.strip() for f in line[2:].split(",")]
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                current = m.group(1)
                fields[current] = _unquote(m.group(2))
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
        if "msgid" in fields:
            blocks.append({"fields": fields, "flags": flags})
    return blocks


def test_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    blocks = [b for b in _po_blocks() if b["fields"]["msgid"]]  # the header has no msgid
    assert len(blocks) > 600
    fuzzy = [b["fields"]["msgid"] for b in blocks if "fuzzy" in b["flags"]]
    empty = [
        b["fields"]["msgid"]
        for b in blocks
        if not all(v for k, v in b["fields"].items() if k.startswith("msgstr"))
    ]
    assert fuzzy == []
    assert empty == []


def test_catalogue_keeps_every_placeholder() -> None:
    # A translation that drops or renames %(name)s fails at run time, on the user's screen.
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    wrong = [
        b["fields"]["msgid"]
        for b in _po_blocks()
        if b["fields"]["msgid"]
        and "msgstr" in b["fields"]
        and sorted(placeholder.findall(b["fields"]["msgid"]))
        != sorted(placeholder.findall(b["fields"]["msgstr"]))
    ]
    assert wrong == []


# ----------------------------------------------------------------- the people pages


def _spanish(client: Client, url: str, data: dict[str, str] | None = None) -> str:
    response = client.get(url, data or {}, HTTP_ACCEPT_LANGUAGE="es")
    translation.activate(settings.LANGUAGE_CODE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html or "<html" not in html  # partials have no <html>
    return html


@pytest.fixture
def people(agency: Any, clinician: User) -> dict[str, Any]:
    """Jonathan Smith met twice by the team (a person with records and contacts), and two
    Maria Garcia records waiting in the review queue with the evidence for the pair."""
    from smartresponse.people.models import LinkSettings, PersonRecord, ReviewItem, SourceKind
    from smartresponse.people.services import link_run
    from tests.people.conftest import ago, make_call, make_encounter, record

    LinkSettings.objects.create(
        agency=agency,
        link_threshold=0.999,
        review_threshold=0.5,
        frequent_rules=[{"contacts": 2, "days": 30}],
    )
    maria = [
        record(
            agency,
            given_name="Maria",
            family_name="Garcia",
            dob="1971-03-01",
            dob_precision="year_month",
            address="Mission Shelter",
        ),
        record(
            agency,
            given_name="Maria",
            family_name="Garcia",
            dob="1971-01-01",
            dob_precision="year",
        ),
    ]
    dob = dt.date(1985, 4, 12)
    for ext, days in (("CAD-A", 3), ("CAD-B", 1)):
        make_encounter(agency, make_call(agency, ago(days), ext), clinician, dob=dob)
    link_run(agency)
    # The pair under review is set here, not left to the model's current weights.
    ReviewItem.objects.filter(agency=agency).delete()
    ReviewItem.objects.create(
        agency=agency,
        record_a=maria[0],
        record_b=maria[1],
        probability=0.87,
        match_weight=2.75,
        evidence=[
            {"field": "given_name", "label": "Given name", "level": "exact", "weight": 7.4},
            {"field": "family_name", "label": "Family name", "level": "exact", "weight": 7.6},
            {
                "field": "dob",
                "label": "Date of birth",
                "level": "same year, one date partial",
                "weight": 5.8,
            },
        ],
    )
    person = PersonRecord.objects.filter(source_kind=SourceKind.ENCOUNTER).first().person
    person.safety_notes = "Carries a knife for protection."
    person.save()
    return {"person": person}


def test_people_search_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.CASE_MANAGER))
    html = _spanish(client, "/people/search/", {"given_name": "Maria", "family_name": "Garcia"})
    for text in (
        "Personas",
        "Nombre",
        "Apellido",
        "Fecha de nacimiento",
        "Teléfono",
        "Buscar",
        "Candidatos",
        "Coincidencia",
        "Contactos frecuentes",
        "Cola de revisión",
        "Ejecuciones de vinculación",
        "Mes y año",  # a record's date-of-birth precision
    ):
        assert text in html, text
    # Each candidate's outcome, whichever the model gives.
    assert any(word in html for word in ("revisar", "vincular", "separados"))
    for english in ("Given name", "Family name", "Candidates", "Review queue"):
        assert english not in html


def test_people_review_queue_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.SUPERVISOR))
    html = _spanish(client, "/people/review/")
    for text in (
        "Cola de revisión",
        "Pares sobre los que el modelo tiene dudas.",
        "de probabilidad de ser la misma persona",
        "Peso de coincidencia",
        "Peso total de coincidencia",
        "Comparación",
        "87% de probabilidad de ser la misma persona",
        "exacto",  # the given names compare exactly
        "mismo año, una fecha incompleta",
        "Solo el año",
        "Confirmar que es la misma persona",
        "No es la misma persona",
        'placeholder="Nota (opcional)"',
        'aria-label="Evidencia"',
    ):
        assert text in html, text
    for english in ("Match weight", "Confirm same", "Not the same", "likely the same"):
        assert english not in html


def test_person_page_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.CASE_MANAGER))
    html = _spanish(client, f"/people/{people['person'].pk}/")
    for text in (
        "Seguridad",
        "Tiene gestor/a de casos:",
        "Notas de seguridad",
        "Guardar notas de seguridad",
        "Fusionar",
        "Registros de origen (2)",
        "Contactos (2)",
        "Intervención",  # the records' source and each contact's encounter
        "Traslado a desintoxicación",
        "Necesidades:",
        "Consumo de sustancias",
        "Se administró naloxona",
        "llamada CAD-A",
    ):
        assert text in html, text
    for english in ("Source records", "Has a case manager", "Transported to detox"):
        assert english not in html


def test_person_safety_view_in_spanish(client: Client, officer: User, people: Any) -> None:
    client.force_login(officer)
    html = _spanish(client, f"/people/{people['person'].pk}/")
    assert "Seguridad" in html and "Tiene gestor/a de casos:" in html
    assert "Carries a knife" in html  # staff's own words are not translated
    assert "Has a case manager" not in html


def test_frequent_contacts_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.CASE_MANAGER))
    html = _spanish(client, "/people/frequent/")
    for text in (
        "Contactos frecuentes",
        "Personas cuyos contactos de crisis cumplen la regla de la agencia:",
        "2 o más en 30 días",
        "Regla cumplida",
        "Último contacto",
        "Gestor/a de casos",
        "2 en 30 días",  # the rule Jonathan Smith met
    ):
        assert text in html, text
    assert "Frequent contacts" not in html and "2 in 30 days" not in html


def test_link_run_pages_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    from django.utils import timezone

    from smartresponse.people.models import LinkRun

    client.force_login(make_user(Role.SUPERVISOR))
    done = LinkRun.objects.create(
        agency=people["person"].agency,
        status="done",
        model_version="m1",
        records=6,
        sent_to_review=1,
        finished_at=timezone.now(),
    )
    html = _spanish(client, "/people/link-runs/")
    for text in (
        "Ejecuciones de vinculación",
        "Iniciar una ejecución de vinculación",
        "Completado",
    ):
        assert text in html, text
    html = _spanish(client, f"/people/link-runs/{done.pk}/")
    for text in (f"Ejecución de vinculación #{done.pk}", "con el modelo m1", "enviados a revisión"):
        assert text in html, text
    running = LinkRun.objects.create(
        agency=done.agency, status="running", stage="scoring pairs", progress=15
    )
    html = _spanish(client, f"/people/link-runs/{running.pk}/progress/")
    assert "En curso: puntuando pares" in html


def test_people_messages_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.CASE_MANAGER))
    pk = people["person"].pk
    response = client.post(
        f"/people/{pk}/merge/", {"other": pk}, HTTP_ACCEPT_LANGUAGE="es", follow=True
    )
    translation.activate(settings.LANGUAGE_CODE)
    assert "Ya es la misma persona." in response.content.decode()
    response = client.post(
        f"/people/{pk}/safety-notes/",
        {"safety_notes": "Dog on the premises."},
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    translation.activate(settings.LANGUAGE_CODE)
    assert "Notas de seguridad guardadas." in response.content.decode()


def test_candidates_partial_in_spanish(client: Client, make_user: Any, people: Any) -> None:
    client.force_login(make_user(Role.CASE_MANAGER))
    html = _spanish(client, "/people/candidates/", {"name": "Maria Garcia"})
    assert "Conocida por el servicio:" in html


# ----------------------------------------------------------------- labels and errors


def test_choice_labels_follow_the_language(
    client: Client, dispatcher: User, make_unit: Any
) -> None:
    make_unit("ALT-1")
    client.force_login(dispatcher)
    html = _spanish(client, "/board/")
    assert "Disponible" in html
    html = client.get("/board/").content.decode()
    assert "Available" in html


def test_service_errors_in_spanish(clinician: User) -> None:
    from django.utils import timezone

    from smartresponse.encounters.services import EncounterInput, validate_encounter

    now = timezone.now()
    data = EncounterInput(
        arrived_at=now + dt.timedelta(hours=1),
        cleared_at=now,
        disposition="transport_other",
    )
    with translation.override("es"):
        errors = validate_encounter(data, now=now, user=clinician)
    assert errors["arrived_at"] == ["La hora de llegada está en el futuro."]
    assert errors["cleared_at"] == ["La hora de liberación es anterior a la hora de llegada."]
    assert errors["destination"] == ["Indique adónde se llevó a la persona."]
    assert validate_encounter(data, now=now, user=clinician)["destination"] == [
        "Say where the person was taken."
    ]
