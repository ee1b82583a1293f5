"""The pages' lists: 50 rows a page, sorted by their column headers."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


def paginate(request, queryset):
    """The page of `queryset` the request asks for (`?page=`), the first by default."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def sort_links(request, keys, *, descending_first=(), param="o"):
    """For each sortable column of a list, the link of its header: the same filters, sorted
    by that column (`?o=key`), the other way round when it is the current sort; the keys in
    `descending_first` start with the largest. {key: {"url", "state": "asc"/"desc"/""}}."""
    current = request.GET.get(param, "")
    links = {}
    for key in keys:
        if current == key:
            value, state = f"-{key}", "asc"
        elif current == f"-{key}":
            value, state = key, "desc"
        else:
            value, state = (f"-{key}" if key in descending_first else key), ""
        query = request.GET.copy()
        query[param] = value
        query.pop("page", None)
        links[key] = {"url": f"?{query.urlencode()}", "state": state}
    return links
