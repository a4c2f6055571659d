"""The list's widgets write the HTML Django's templates write, for every field of the list's form.

Compared as parsed HTML (Django's assertHTMLEqual's reading): Django's includes leave line
breaks between tags and texts that a browser shows as the single space the widgets write.
"""

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django.test.html import parse_html

from prisoners import widgets
from prisoners.filters import PersonFilter
from prisoners.models import Person
from tests.prisoners.factories import ReleaseFactory, ReleaseGroupFactory

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "status=imprisoned&status=released&region=minsk&gender=female&sort=-released&q=Tsikhanouski",
    # Values that cannot be read (the field is marked invalid) or that need escaping.
    "status=nonsense&region=atlantis&article=%22%3E%3Cscript%3E&release_group=a%26b&q=%3Cb%3E%27%22",
]


def rendered_both_ways(bound_field) -> tuple[list[str], list[str]]:
    """(ours, Django's) HTML of the field: the whole widget, and each checkbox as the list's template draws it."""
    widget = bound_field.field.widget
    assert isinstance(widget, widgets.PlainRendering), bound_field.name
    ours = [parse_html(str(bound_field)), *(parse_html(str(choice.tag())) for choice in bound_field.subwidgets)]
    plain = type(widget)
    widget.__class__ = next(base for base in plain.__mro__ if base.__module__.startswith("django.forms"))
    try:
        theirs = [parse_html(str(bound_field)), *(parse_html(str(c.tag())) for c in bound_field.subwidgets)]
    finally:
        widget.__class__ = plain
    return ours, theirs


@pytest.mark.parametrize("query", QUERIES)
def test_every_field_is_written_as_djangos_templates_write_it(query):
    ReleaseFactory(group=ReleaseGroupFactory(name='Pardon of "3 July" & <more>'))
    request = RequestFactory().get("/prisoners/", QueryDict(query))
    filterset = PersonFilter(request.GET, queryset=Person.objects.public(), request=request)
    filterset.is_valid()
    compared = 0
    for name in ("q", "status", "region", "article", "release_type", "release_group", "gender", "sort"):
        ours, theirs = rendered_both_ways(filterset.form[name])
        assert ours == theirs, name
        compared += len(ours)
    assert compared > 30  # every checkbox and option was drawn
