"""`smartresponse token`: the secret is printed once and works; only its hash is stored."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smartresponse.accounts.models import ApiToken
from smartresponse.audit.models import AuditEvent
from tests.api.helpers import ApiClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_a_working_secret_once(dispatcher):
    out, err = run("create", "--user", dispatcher.username, "--name", "County CAD")
    secret = out.strip()
    assert secret.startswith("sr_") and "\n" not in secret
    assert secret not in err and "not shown again" in err
    token = ApiToken.objects.get()
    assert token.name == "County CAD" and token.user == dispatcher
    assert token.key_hash == ApiToken.hash(secret) and secret not in token.key_hash
    assert ApiClient(secret).get("/calls").status_code == 200
    event = AuditEvent.objects.get(action="token.create")
    assert event.object_id == str(token.pk) and event.agency_id == dispatcher.agency_id
    assert secret not in str(event.detail)


def test_unknown_user_is_refused_clearly(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("create", "--user", "ghost")
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_inactive_user_is_refused(dispatcher):
    dispatcher.is_active = False
    dispatcher.save()
    with pytest.raises(CommandError, match="inactive"):
        run("create", "--user", dispatcher.username)


def test_list_never_shows_secrets(dispatcher):
    secret = run("create", "--user", dispatcher.username, "--name", "CAD")[0].strip()
    out, _ = run("list")
    assert dispatcher.username in out and "CAD" in out and "active" in out
    assert secret not in out
    assert ApiToken.objects.get().prefix in out
    assert run("list", "--user", "nobody")[0].strip() == "No tokens."


def test_revoke_stops_the_token(dispatcher):
    secret = run("create", "--user", dispatcher.username)[0].strip()
    token = ApiToken.objects.get()
    out, _ = run("revoke", str(token.pk))
    assert "revoked" in out
    assert ApiClient(secret).get("/calls").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()
    assert "already revoked" in run("revoke", token.prefix)[0]
    with pytest.raises(CommandError, match="No token"):
        run("revoke", "9999")
