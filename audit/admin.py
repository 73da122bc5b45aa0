from django.contrib import admin

from audit.models import AuditEvent
from trackmycrime.pagination import CappedCountPaginator


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, for supervisors to read. Nobody can add, change or delete."""

    list_display = [
        "occurred_at",
        "actor_kind",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "case_id",
        "changed_fields",
    ]
    list_filter = ["action", "actor_kind", "object_type", "occurred_at"]
    search_fields = ["actor_label", "=case_id", "=object_id"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.force_id is None:
            return queryset.none()
        return queryset.filter(force_id=request.user.force_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
