from django import template

register = template.Library()


@register.filter
def audit_changes(entry):
    """Rows (field, before, after) of an audit entry, in a stable order."""
    before = entry.before or {}
    after = entry.after or {}
    names = list(before) + [name for name in after if name not in before]
    return [(name, before.get(name), after.get(name)) for name in names]
