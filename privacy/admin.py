from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.constants import ObjectType
from privacy.constants import REQUEST_REASONS
from privacy.models import VictimErasure
from privacy.services import victim_erase
from trackmycrime.admin_scoping import ForceScopedAdmin
from victims.models import Victim


class VictimErasureForm(forms.ModelForm):
    reason = forms.ChoiceField(choices=REQUEST_REASONS, label=_("Why"))

    class Meta:
        model = VictimErasure
        fields = ["victim", "reason"]
        help_texts = {
            "victim": _(
                "Their name, email address, phone number and records-system id are "
                "removed everywhere, and they can no longer sign in. This cannot "
                "be undone."
            )
        }


@admin.register(VictimErasure)
class VictimErasureAdmin(ForceScopedAdmin):
    """Erasing a victim's personal data early, at their request: only staff with the
    erase permission, only their own force's victims, through the anonymiser."""

    audit_object_type = ObjectType.VICTIM_ERASURE
    form = VictimErasureForm
    list_display = ["__str__", "reason", "erased_at"]
    list_filter = ["reason"]
    raw_id_fields = []

    def has_add_permission(self, request):
        return request.user.has_perm("privacy.erase_victim")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["victim", "reason", "erased_at"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "victim":
            kwargs["queryset"] = Victim.objects.filter(
                force_id=request.user.force_id, erasure__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        victim = form.cleaned_data["victim"]
        victim_erase(
            victim=victim, reason=form.cleaned_data["reason"], actor=request.user
        )
        obj.pk = VictimErasure.objects.only("pk").get(victim=victim).pk
