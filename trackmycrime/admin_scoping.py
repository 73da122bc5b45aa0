"""Keep every member of staff inside their own force in the back office.

Records of another force are not in the querysets at all, so they cannot be listed,
searched, opened or changed, and a direct URL to one answers as if it did not exist.
Nor are they among a form's choices: another force's victim id in a form gets the
same "Select a valid choice" as an id that does not exist. Every staff view of a
record's page is written to the audit trail.

A list filter's value that is not one of its choices gets the admin's own "invalid
lookup" answer (?e=1), as a value of the wrong type does, rather than an empty list.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
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


def _force_scoped(model) -> bool:
    try:
        model._meta.get_field("force")
    except FieldDoesNotExist:
        return False
    return True


class ForceScopedChoices(BaseModelAdmin):
    """Offer a form only the records of the signed-in member of staff's force, for
    every field that points to a model kept per force."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._limit_to_force(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._limit_to_force(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _limit_to_force(self, db_field, request, kwargs) -> None:
        related = db_field.remote_field.model
        if "queryset" in kwargs or not _force_scoped(related):
            return
        force_id = staff_of(request).force_id
        queryset = related._default_manager.all()
        kwargs["queryset"] = (
            queryset.none() if force_id is None else queryset.filter(force_id=force_id)
        )


class ForceScopedInline(ForceScopedChoices, admin.TabularInline):
    """A table of a force's record's related records, with choices from its force."""


class KnownChoicesFieldListFilter(admin.ChoicesFieldListFilter):
    """A filter on a field with choices (stage, status, channel...) that refuses a
    value that is none of them (registered for every such field, trackmycrime/
    admin.py)."""

    def queryset(self, request, queryset):
        known = {str(value) for value, _label in self.field.flatchoices}
        if any(value not in known for value in self.lookup_val or ()):
            raise IncorrectLookupParameters
        return super().queryset(request, queryset)


class KnownValuesListFilter(admin.SimpleListFilter):
    """A filter of our own that refuses a value that is none of its lookups."""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = self.value()
        if value is not None and value not in {
            str(key) for key, _label in self.lookup_choices
        }:
            raise IncorrectLookupParameters


# Lookups whose values must be values of the field itself.
VALUE_LOOKUPS = {"exact", "gt", "gte", "lt", "lte", "in"}


def _lookup_field(model, path: str) -> tuple[models.Field | None, str]:
    """Return the field a list's query-string lookup compares, and how."""
    opts, field, parts = model._meta, None, path.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return (field, part) if index == len(parts) - 1 else (None, "")
        if field.related_model is not None and index < len(parts) - 1:
            opts = field.related_model._meta
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return (field if isinstance(field, models.Field) else None), "exact"


class ValidatedLookupsChangeList(ChangeList):
    """A list whose query-string lookups (`?full_name=`, `?case__id__exact=`) are
    checked as the field would check a value, before any query: a number out of
    range, text where an id goes or a value that is none of a field's choices gets
    the admin's "invalid lookup" answer, where the database would have raised."""

    def get_filters(self, request):
        filters = super().get_filters(request)
        for path, values in filters[2].items():
            field, lookup = _lookup_field(self.model, path)
            if field is None or lookup not in VALUE_LOOKUPS:
                continue
            if lookup == "in":
                values = [part for value in values for part in str(value).split(",")]
            for value in values if isinstance(values, list) else [values]:
                try:
                    field.clean(value, None)
                except ValidationError:
                    raise IncorrectLookupParameters(path) from None
        return filters


class ValidatedInputAdmin(BaseModelAdmin):
    """What every admin on the site has (StaffAdminSite.register adds it)."""

    def get_changelist(self, request, **kwargs):
        return ValidatedLookupsChangeList


class ForceScopedAdmin(ForceScopedChoices, admin.ModelAdmin):
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
