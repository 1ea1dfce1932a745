"""Django admin for administrators: inspect claims, incidents and witnesses. Deletion is disabled
(records are withdrawn) and witness identities stay encrypted here."""

from django.contrib import admin

from vestige.claims.models import Claim, Incident, Issuer, Verification, Witness


class ReadMostly(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the pages and API, which apply the verification rules

    def has_add_permission(self, request):
        return False


@admin.register(Claim)
class ClaimAdmin(ReadMostly):
    list_display = ("ref", "said_on", "issuer", "category", "value_min", "qualifier", "unit", "status")
    list_filter = ("status", "category", "issuer__kind")
    search_fields = ("ref", "quote", "issuer__name")


@admin.register(Issuer)
class IssuerAdmin(ReadMostly):
    list_display = ("name", "kind")


@admin.register(Incident)
class IncidentAdmin(ReadMostly):
    list_display = ("ref", "kind", "title", "started_on", "place")


@admin.register(Verification)
class VerificationAdmin(ReadMostly):
    list_display = ("claim", "from_status", "to_status", "actor", "at")


@admin.register(Witness)
class WitnessAdmin(ReadMostly):
    list_display = ("code", "consent_given", "willing_to_testify")
    exclude = ("identity_encrypted",)
