from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from vestige.accounts.models import ApiToken, Case, CaseMembership, LoginFailure, User


class MembershipInline(admin.TabularInline):
    model = CaseMembership
    extra = 1


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "created_at")
    search_fields = ("code", "name")
    inlines = [MembershipInline]


@admin.register(User)
class VestigeUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Vestige", {"fields": ("role",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Vestige", {"fields": ("role",)}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "at")
    readonly_fields = ("username", "ip", "at")

    def has_add_permission(self, request):
        return False
