from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ dict|get_item:key }}``: a mapping's value (QueryDict: the last value), or ''."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def key(resource, obj):
    """The URL key of ``obj`` for a registry resource (ref for sites, id otherwise)."""
    return resource.key(obj)
