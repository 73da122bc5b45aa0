from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.constants import ObjectType
from trackmycrime.admin_scoping import ForceScopedAdmin
from victims.constants import offered_languages
from victims.models import Victim
from victims.services import VICTIM_EDITABLE_FIELDS, victim_create, victim_update


@admin.register(Victim)
class VictimAdmin(ForceScopedAdmin):
    audit_object_type = ObjectType.VICTIM
    list_display = [
        "full_name",
        "contact_preference",
        "enhanced_rights",
        "portal_access_allowed",
    ]
    list_filter = ["contact_preference", "enhanced_rights", "portal_access_allowed"]
    search_fields = ["full_name"]
    # Set by the force's records system through the API, which matches on it.
    readonly_fields = ["external_reference"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "full_name",
                    "email",
                    "mobile",
                    "preferred_language",
                    "external_reference",
                ]
            },
        ),
        (
            _("Safe contact"),
            {
                "fields": [
                    "contact_preference",
                    "detail_by_email",
                    "detail_by_sms",
                    "discreet_messages",
                ],
                "description": _(
                    "Only the channels the victim said are safe are used. Messages "
                    "carry no case details unless the victim asked for them, and "
                    "discreet messages name neither the service nor the police."
                ),
            },
        ),
        (
            _("Rights and access"),
            {
                "fields": [
                    "enhanced_rights",
                    "enhanced_rights_reason",
                    "portal_access_allowed",
                ]
            },
        ),
    ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # The languages the portal offers, and no others (settings.PORTAL_LANGUAGES).
        if db_field.name == "preferred_language":
            kwargs["choices"] = offered_languages()
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            victim = victim_create(
                force=request.user.force,
                actor=request.user,
                **{
                    field: data[field]
                    for field in VICTIM_EDITABLE_FIELDS
                    if field in data
                },
            )
            obj.pk = victim.pk
            obj._state.adding = False
            return
        victim_update(
            victim=obj,
            actor=request.user,
            changes={
                field: data[field]
                for field in form.changed_data
                if field in VICTIM_EDITABLE_FIELDS
            },
        )
