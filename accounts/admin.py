from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiClient, User
from accounts.services import api_client_revoke, staff_password_changed, staff_save

# Groups are set from accounts.constants.GROUP_PERMISSIONS, and second factors are
# issued by `manage.py create_staff_user`, both audited; edits here would bypass
# that (and groups_ensure would undo a group's edit).
for _model in (Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "rank", "force", "is_active"]
    list_filter = ["force", "is_active", "groups"]
    list_select_related = ["force"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
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

    def save_model(self, request, obj, form, change):
        staff_save(user=obj, actor=request.user, changed_fields=form.changed_data)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and isinstance(response, HttpResponseRedirect):
                user = self.get_object(request, id)
                staff_password_changed(user=user, actor=request.user)
        return response


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Forces' records systems. Created with `manage.py create_api_client`, which
    prints the token once; here they are listed and revoked."""

    readonly_fields = (
        "name",
        "force",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_display = fields = readonly_fields
    list_filter = ["force"]
    list_select_related = ["force"]
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
