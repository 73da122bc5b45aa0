from axes.models import AccessAttempt
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
from accounts.sign_in import access_attempts_with_totals, staff_sign_in_unlock
from trackmycrime.admin_scoping import staff_of

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


@admin.register(AccessAttempt)
class LockedSignInAdmin(admin.ModelAdmin):
    """Failed staff sign-ins that django-axes is counting, and the lock-outs among
    them, for supervisors. A supervisor sees those for usernames in their own force;
    someone with no force (a national administrator) sees all, including unknown
    usernames and addresses. Unlocking is the one change, through the service that
    audits it."""

    list_display = [
        "username",
        "ip_address",
        "failures_since_start",
        "attempt_time",
        "locked",
    ]
    list_filter = ["attempt_time"]
    search_fields = ["username"]
    ordering = ["-attempt_time"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time"]
    actions = ["unlock"]

    def get_queryset(self, request):
        staff = staff_of(request)
        attempts = super().get_queryset(request)
        if staff.force_id is not None:
            attempts = attempts.filter(
                username__in=User.objects.filter(force_id=staff.force_id).values(
                    "username"
                )
            )
        return access_attempts_with_totals(attempts)

    @admin.display(boolean=True, description=_("Locked out"), ordering="is_locked")
    def locked(self, attempt: AccessAttempt) -> bool:
        # Annotated by access_attempts_with_totals, in the list's one query.
        return bool(attempt.__dict__.get("is_locked"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_unlock_permission(self, request):
        return request.user.has_perm("axes.delete_accessattempt")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(permissions=["unlock"], description=_("Unlock the selected"))
    def unlock(self, request, queryset):
        count = staff_sign_in_unlock(attempts=queryset, actor=staff_of(request))
        self.message_user(request, _("Unlocked %(count)d.") % {"count": count})
