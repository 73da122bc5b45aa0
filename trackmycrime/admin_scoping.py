"""Keep every member of staff inside their own force in the back office.

Records of another force are not in the querysets at all, so they cannot be listed,
searched, opened or changed, and a direct URL to one answers as if it did not exist.
Every staff view of a record's page is written to the audit trail.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from audit.constants import ObjectType
from audit.services import Audited, audit_view


def staff_of(request: HttpRequest) -> User:
    """Return the member of staff making a back-office request (the admin site lets
    no one else in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class ForceScopedAdmin(admin.ModelAdmin):
    audit_object_type: ObjectType

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        force_id = staff_of(request).force_id
        if force_id is None:
            return queryset.none()
        return queryset.filter(force_id=force_id)

    def audit_case_id(self, obj: Any) -> int | None:
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and obj is not None:
            audit_view(
                actor=staff_of(request),
                object_type=self.audit_object_type,
                objects=[Audited(obj.pk, obj.force_id, self.audit_case_id(obj))],
            )
        return response
