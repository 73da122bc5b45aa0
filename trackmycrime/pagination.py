from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    """Count at most `count_cap` rows.

    An exact count of a million cases costs more than the page being shown, on every
    list view; nobody pages past the first few thousand results of a list.
    """

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        # A QuerySet here (every admin list); the stubs allow any sequence.
        return self.object_list[: self.count_cap].count()  # type: ignore[attr-defined]
