from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from vestige.accounts.roles import Cap, Role, capabilities


class User(AbstractUser):
    """A person who works in Vestige. Exactly one role; administrators also get Django admin."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.ANALYST)
    # An administrator's `vestige user unlock`: login failures before it no longer count for the account.
    login_unlocked_at = models.DateTimeField(null=True, blank=True)
    # Graphic evidence greyscale, muted and without thumbnails unless the person chooses colour
    # (as Atlos does for those who look at the worst images all day).
    graphic_in_colour = models.BooleanField(_("graphic media in colour"), default=False)
    position = models.CharField(_("position"), max_length=200, blank=True,
                                help_text=_("As printed under the name in reports, e.g. forensic anthropologist, "
                                            "Kharkiv regional bureau of forensic medicine"))

    def can(self, cap: Cap | str) -> bool:
        return self.is_active and Cap(cap) in capabilities(self.role)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def signature(self) -> str:
        """How printed documents name the person: full name and position (the role when no position
        is recorded); the login name only when no name is."""
        name = self.get_full_name() or self.username
        return f"{name} ({self.position or self.role_label})"

    def save(self, *args, **kwargs):
        # Admin access follows the role, never the other way round.
        self.is_staff = self.role == Role.ADMINISTRATOR
        self.is_superuser = self.role == Role.ADMINISTRATOR
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, help_text=_("first characters, to recognise it"))
    digest = models.CharField(max_length=71, unique=True)  # sha256:<hex>
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(models.Model):
    """One failed login. Counted for rate limiting and kept for the auditor."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]


class Case(models.Model):
    """A case: one investigation, region or agency's share of the programme (e.g. the Izium
    exhumations, the Kharkiv region's missing). Case records (sites and what lies in them,
    families and their missing, incidents, claims, witnesses, evidence) belong to one case;
    a user sees and changes only the records of the cases they are a member of, except the
    administrator and the auditor, who work across cases (:mod:`vestige.access`)."""

    code = models.CharField(_("code"), max_length=32, unique=True, help_text=_("e.g. IZM-2022"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(User, through="CaseMembership", related_name="cases", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CaseMembership(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="case_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("case", "user")]
