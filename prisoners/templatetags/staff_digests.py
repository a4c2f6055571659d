from django import template

from prisoners.models import ChangeProposal, Digest, DigestKind
from sources.models import Source

register = template.Library()


@register.simple_tag
def latest_term_endings():
    """The newest list the daily task prepared, or None before its first run."""
    return Digest.objects.filter(kind=DigestKind.TERM_ENDINGS).first()


@register.simple_tag
def dead_link_count():
    return Source.objects.filter(link_is_dead=True).count()


@register.simple_tag
def changes_waiting_count():
    """How many changes Researchers made to published people wait for an Editor's decision."""
    return ChangeProposal.objects.waiting().count()
