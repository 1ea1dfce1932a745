from django import template

from vestige.history.display import present

register = template.Library()


@register.simple_tag
def presented(records):
    """``{% presented history as rows %}``: see :func:`vestige.history.display.present`."""
    return present(records)
