from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from api.fields import QueryIntegerField


class ChangedSinceCursorPagination(CursorPagination):
    """Pages of records in the order they last changed, for synchronisation.

    A cursor marks a position (updated_at, then id), so a record that changes while
    a client pages through comes again later rather than shifting a page. A page
    size outside 1 to max_page_size, or a cursor the API did not give, is a 400
    rather than quietly ignored.
    """

    ordering = ("updated_at", "id")
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = QueryIntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(raw)
        except ValidationError as error:
            raise ValidationError({self.page_size_query_param: error.detail}) from None

    def decode_cursor(self, request):
        invalid = ValidationError(
            {
                self.cursor_query_param: [
                    _("This is not a cursor the API gave; start again without it.")
                ]
            }
        )
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:
                position = None
            if position is None or position.tzinfo is None:
                raise invalid
        return cursor
