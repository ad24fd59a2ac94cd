"""`smartresponse token create --user NAME [--name LABEL] | list [--user NAME] | revoke ID`.

API tokens for CAD integrations. The secret is printed once, at creation, and only its hash is
kept; a lost token is revoked and a new one created. Whoever runs this has shell access to the
server, so the command acts as the operator; creations and revocations are audited with the
operating-system account that ran them.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from smartresponse.accounts.models import ApiToken, User
from smartresponse.audit.services import audit_record


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print its secret once")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", default="", help="a label, e.g. the CAD system's name")
        listing = sub.add_parser("list", help="tokens (never their secrets)")
        listing.add_argument("--user", default=None, help="only this user's tokens")
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="the id or prefix shown by `token list`")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "create":
            self._create(opts["user"], opts["name"])
        elif action == "list":
            self._list(opts["user"])
        else:
            self._revoke(opts["token"])

    def _user(self, username: str) -> User:
        user = User.objects.select_related("agency").filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create the user first.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; a token would not work.")
        if user.agency_id is None:
            raise CommandError(
                f"User {username!r} belongs to no agency; a token would grant nothing."
            )
        return user

    def _create(self, username: str, name: str) -> None:
        user = self._user(username)
        if len(name) > 100:
            raise CommandError("The label is longer than 100 characters.")
        with transaction.atomic():
            token, secret = ApiToken.issue(user, name=name.strip())
            audit_record(
                user=None,
                action="token.create",
                obj=token,
                agency_id=user.agency_id,
                detail={"for_user": user.pk, "role": user.role, "operator": _operator()},
            )
        self.stderr.write(
            f"Token {token.pk} ({token.prefix}...) for {user.username}, role {user.role}. "
            "Store the secret now: it is not shown again."
        )
        self.stdout.write(secret)

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if username is not None:
            tokens = tokens.filter(user__username=username)
        rows = list(tokens)
        if not rows:
            self.stdout.write("No tokens.")
            return
        self.stdout.write(f"{'id':>5}  {'prefix':12} {'user':20} {'created':16} {'state':18} name")
        for t in rows:
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            self.stdout.write(
                f"{t.pk:>5}  {t.prefix:12} {t.user.username:20} "
                f"{timezone.localtime(t.created_at):%Y-%m-%d %H:%M} {state:18} {t.name}"
            )

    def _revoke(self, ref: str) -> None:
        ref = ref.strip()
        matches = ApiToken.objects.filter(pk=int(ref)) if ref.isdigit() else ApiToken.objects.none()
        if not matches.exists() and ref:
            matches = ApiToken.objects.filter(prefix=ref)
        found = list(matches[:2])
        if not found:
            raise CommandError(f"No token {ref!r}. `smartresponse token list` shows them.")
        if len(found) > 1:
            raise CommandError(f"Prefix {ref!r} matches several tokens; give the id.")
        with transaction.atomic():
            token = ApiToken.objects.select_for_update().select_related("user").get(pk=found[0].pk)
            if token.revoked_at is not None:
                self.stdout.write(f"Token {token.pk} was already revoked.")
                return
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                user=None,
                action="token.revoke",
                obj=token,
                agency_id=token.user.agency_id,
                detail={"for_user": token.user_id, "operator": _operator()},
            )
        self.stdout.write(f"Token {token.pk} revoked.")
