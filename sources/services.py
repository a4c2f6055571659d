"""Changes to sources and citations."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import Certainty, Citation, Source


@transaction.atomic
def citation_add(
    *,
    fact: models.Model,
    source: Source,
    quote: str = "",
    locator: str = "",
    certainty: str = Certainty.REPORTED,
    field_name: str = "",
    claim: str = "",
) -> Citation:
    """Tie `fact` to `source`; citing the same passage twice returns the existing citation."""
    citation, _created = Citation.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(fact),
        object_id=fact.pk,
        source=source,
        quote=quote.strip(),
        field_name=field_name,
        defaults={"locator": locator, "certainty": certainty, "claim": claim},
    )
    return citation
