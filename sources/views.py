from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from .models import Document, Source


def source_detail(request, pk):
    source = get_object_or_404(Source, pk=pk)
    return render(request, "sources/source_detail.html", {"source": source})


def document_file(request, pk):
    """The only way to a document's file: restricted ones 404 unless the user may view documents."""
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    response = FileResponse(document.file.open("rb"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}"'
    return response
