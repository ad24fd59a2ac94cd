"""Spanish translation: the catalogue is complete for key strings and pages switch language."""

from __future__ import annotations

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
