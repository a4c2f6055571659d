"""Changes to sources, citations and documents, through the one write path (prisoners.services)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from prisoners.services import record_save

from .models import Certainty, Citation, Source


@transaction.atomic
def citation_add(
    *,
    acting_user,
    fact: models.Model,
    source: Source,
    quote: str = "",
    locator: str = "",
    certainty: str = Certainty.REPORTED,
    field_name: str = "",
    claim: str = "",
    is_private: bool = False,
) -> Citation:
    """Tie `fact` to `source`; citing the same passage twice returns the existing citation.

    A citation of a private field is private whatever the caller says (Citation.save).
    """
    existing = Citation.objects.filter(
        content_type=ContentType.objects.get_for_model(fact),
        object_id=fact.pk,
        source=source,
        quote=quote.strip(),
        field_name=field_name,
    ).first()
    if existing is not None:
        return existing
    citation = Citation(
        content_object=fact,
        source=source,
        quote=quote.strip(),
        field_name=field_name,
        locator=locator,
        certainty=certainty,
        claim=claim,
        is_private=is_private,
    )
    return record_save(acting_user=acting_user, obj=citation, reason="cited")


@transaction.atomic
def source_save(*, acting_user, source: Source, reason: str = "") -> Source:
    """Create or change a source."""
    return record_save(acting_user=acting_user, obj=source, reason=reason)
