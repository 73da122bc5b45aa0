from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiClient, User
from accounts.services import api_client_revoke


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "rank", "force", "is_active"]
    list_filter = ["force", "is_active", "groups"]
    list_select_related = ["force"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Force and contact"),
            {
                "fields": [
                    "force",
                    "rank",
                    "collar_number",
                    "contact_phone",
                    "contact_email",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(force_id=request.user.force_id)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Forces' records systems. Created with `manage.py create_api_client`, which
    prints the token once; here they are listed and revoked."""

    list_display = [
        "name",
        "force",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["force"]
    list_select_related = ["force"]
    readonly_fields = list_display
    fields = list_display
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected API clients"))
    def revoke(self, request, queryset):
        revoked = sum(
            api_client_revoke(client=client, actor=request.user) for client in queryset
        )
        self.message_user(request, _("Revoked %(count)d.") % {"count": revoked})
