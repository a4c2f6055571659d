from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


def _render_marks(marks):
    return format_html_join(
        "",
        '<sup class="cite"><a href="#{}" id="{}" aria-label="{}">[{}]</a></sup>',
        ((f.anchor, ref_id, _("source %(number)s") % {"number": f.number}, f.number) for f, ref_id in marks),
    )


@register.simple_tag(takes_context=True)
def cite(context, fact, field_name=None):
    """Footnote marks for the sources that support `fact` (or one of its fields)."""
    return _render_marks(context["footnotes"].marks(fact, field_name))


@register.simple_tag(takes_context=True)
def disputes(context, fact, field_name=None):
    """Claims from other sources that differ from the record, each with its source marks."""
    items = context["footnotes"].disagreements(fact, field_name)
    if not items:
        return ""
    rows = format_html_join(
        "", "<li>{} {}</li>", ((format_html("“{}”", claim), _render_marks(marks)) for claim, marks in items)
    )
    return format_html('<div class="disagreement"><p>{}</p><ul>{}</ul></div>', _("Sources disagree:"), rows)
