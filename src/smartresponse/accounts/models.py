from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from .roles import ROLE_LABELS, Role


class Agency(models.Model):
    """The tenant: every record belongs to one agency."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York")
    protocol = models.CharField(
        max_length=100, default="denver-star-pilot", help_text="Active triage protocol id."
    )
    # Service area as a bounding box; calls located outside are refused at intake.
    area_south = models.FloatField()
    area_west = models.FloatField()
    area_north = models.FloatField()
    area_east = models.FloatField()
    center_lat = models.FloatField()
    center_lon = models.FloatField()
    road_factor = models.FloatField(default=1.3)
    speed_kmh = models.FloatField(default=40.0)
    # The public page of suppressed quarterly aggregates (/public/<slug>/), off until a
    # director publishes it.
    transparency_published = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    def contains(self, lat: float, lon: float) -> bool:
        return self.area_south <= lat <= self.area_north and self.area_west <= lon <= self.area_east


class User(AbstractUser):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(
        max_length=20, choices=[(r.value, ROLE_LABELS[r]) for r in Role], default=Role.DISPATCHER
    )

    @property
    def role_label(self) -> str:
        return gettext(ROLE_LABELS[Role(self.role)])


class ApiToken(models.Model):
    """A bearer token for an integration user. Only a hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        secret = "sr_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=secret[:10], key_hash=cls.hash(secret)
        )
        return token, secret
