"""The pages' lists, 50 rows a page."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


def paginate(request, queryset):
    """The page of `queryset` the request asks for (`?page=`), the first by default."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
