"""Django admin for administrators: browse and inspect. Changes made here still go through the
services (so they are validated and recorded); deletion is disabled: records are withdrawn."""

from django.contrib import admin

from vestige.registry import services
from vestige.registry.models import Exhumation, Grave, Remains, Site


class RegistryAdmin(admin.ModelAdmin):
    readonly_fields = ("withdrawn_at", "withdrawn_by", "withdrawal_reason")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in services.FIELDS[type(obj)] if k in form.cleaned_data}
        saved = (services.update(request.user, obj, data, via="admin") if change
                 else services.create(request.user, type(obj), data, via="admin"))
        obj.pk = saved.pk


@admin.register(Site)
class SiteAdmin(RegistryAdmin):
    list_display = ("ref", "name", "kind", "locality", "discovered_on", "withdrawn_at")
    list_filter = ("kind",)
    search_fields = ("ref", "name", "locality")


@admin.register(Grave)
class GraveAdmin(RegistryAdmin):
    list_display = ("label", "site", "marker_type", "status", "expected_occupants")
    list_filter = ("status", "marker_type", "site")
    search_fields = ("label", "inscription")
    list_select_related = ("site",)


@admin.register(Exhumation)
class ExhumationAdmin(RegistryAdmin):
    list_display = ("reference", "site", "team", "started_on", "ended_on")
    list_filter = ("site",)


@admin.register(Remains)
class RemainsAdmin(RegistryAdmin):
    list_display = ("body_number", "site", "grave", "sex", "age_min", "age_max", "category", "status")
    list_filter = ("status", "sex", "category", "site")
    search_fields = ("body_number",)
    list_select_related = ("site", "grave")
    raw_id_fields = ("grave", "exhumation")
