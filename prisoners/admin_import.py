"""Admin: import people from a CSV file. Upload, preview every change and every problem, confirm, follow progress.

PersonAdmin takes these views by inheriting CaseImportAdminMixin. Checking runs while the
editor waits (a 10,000-row file takes about a second); applying runs in a Celery task
(prisoners.imports.cases_import_task) while the page polls the job's progress record.

The pages' templates are kept here, beside the views: they belong to this one feature.
"""

from __future__ import annotations

import functools
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .imports import (
    FINISHED,
    MAX_ROWS_SHOWN,
    JobState,
    cases_file_check,
    import_job_create,
    import_job_start,
    import_job_status,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Errors listed on the preview; a wrongly encoded file can have one on every line.
MAX_ERRORS_SHOWN = 1000
FILE_TOO_LARGE = gettext_lazy("The file is larger than %(limit)d MB; split it into smaller files.")
STATUS_FIELDS = ("state", "stage", "done", "total", "created", "updated", "error_count", "message")


class CaseImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, columns separated by commas; the columns are described in docs/import-format.md."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(FILE_TOO_LARGE % {"limit": limit // (1024 * 1024)})
        return upload


class CaseImportAdminMixin:
    """Adds import/ (upload and preview), import/<job>/ (confirm and progress) and its status feed."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_upload_view), name="%s_%s_import" % info),
            path(
                "import/<uuid:job>/", self.admin_site.admin_view(self.import_job_view), name="%s_%s_import_job" % info
            ),
            path(
                "import/<uuid:job>/status/",
                self.admin_site.admin_view(self.import_status_view),
                name="%s_%s_import_status" % info,
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _url(self, view: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)

    def _render(self, request, template: str, context: dict) -> TemplateResponse:
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "changelist_url": self._url("changelist"),
            **context,
        }
        return TemplateResponse(request, _template(template), context)

    def import_upload_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = CaseImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            plan = cases_file_check(acting_user=request.user, data=data)
            job = None
            if plan.ok and plan.rows:
                job = import_job_create(data=data, file_name=upload.name, user=request.user, plan=plan)
            errors = plan.errors_by_line()
            return self._render(
                request,
                "preview",
                {
                    "title": _("Import people: check %(name)s") % {"name": upload.name},
                    "file_name": upload.name,
                    "plan": plan,
                    "errors": errors[:MAX_ERRORS_SHOWN],
                    "errors_not_shown": max(len(errors) - MAX_ERRORS_SHOWN, 0),
                    "rows": plan.rows[:MAX_ROWS_SHOWN],
                    "rows_not_shown": max(len(plan.rows) - MAX_ROWS_SHOWN, 0),
                    "confirm_url": self._url("import_job", uuid.UUID(job)) if job else "",
                    "upload_url": self._url("import"),
                },
            )
        return self._render(request, "upload", {"title": _("Import people from a CSV file"), "form": form})

    def _job(self, request, job) -> dict:
        """The job's record, only for the editor who uploaded it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        status = import_job_status(job.hex)
        if status is None or status.get("user_id") != request.user.pk:
            raise Http404
        return status

    def import_job_view(self, request, job):
        status = self._job(request, job)
        if request.method == "POST":
            if status["state"] == JobState.CHECKED:
                import_job_start(job_id=job.hex)
            return redirect(self._url("import_job", job))
        return self._render(
            request,
            "progress",
            {
                "title": _("Import people: %(name)s") % {"name": status.get("file_name", "")},
                "status": status,
                "finished": status["state"] in FINISHED,
                "status_url": self._url("import_status", job),
                "job_url": self._url("import_job", job),
                "upload_url": self._url("import"),
            },
        )

    def import_status_view(self, request, job):
        status = self._job(request, job)
        return JsonResponse({key: status[key] for key in STATUS_FIELDS if key in status})


@functools.cache
def _template(name: str):
    # Compiled on first use, once the template engines are configured.
    return engines["django"].from_string(TEMPLATES[name])


BREADCRUMBS = """{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{% translate 'Home' %}</a>
&rsaquo; <a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a>
&rsaquo; <a href="{{ changelist_url }}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; {{ title }}
</div>{% endblock %}"""

TEMPLATES = {
    "upload": """{% extends "admin/base_site.html" %}{% load i18n %}
"""
    + BREADCRUMBS
    + """
{% block content %}
<p>{% blocktranslate %}The file is checked first: you will see every person it would create or update and every problem, by line and column, before anything is saved. A file is imported whole or not at all; importing it again updates the same people (found by their external_id).{% endblocktranslate %}</p>
<form method="post" enctype="multipart/form-data" id="case-import-upload">{% csrf_token %}
  {{ form.non_field_errors }}
  <fieldset class="module aligned">
  {% for field in form %}
    <div class="form-row">{{ field.errors }}{{ field.label_tag }} {{ field }}<div class="help">{{ field.help_text }}</div></div>
  {% endfor %}
  </fieldset>
  <div class="submit-row"><input type="submit" class="default" value="{% translate 'Check the file' %}"></div>
</form>
{% endblock %}""",
    "preview": """{% extends "admin/base_site.html" %}{% load i18n %}
"""
    + BREADCRUMBS
    + """
{% block content %}
{% if errors %}
<p class="errornote" id="import-rejected">{% blocktranslate count counter=plan.errors|length %}{{ file_name }} has {{ counter }} problem. Nothing will be imported: correct the file and upload it again.{% plural %}{{ file_name }} has {{ counter }} problems. Nothing will be imported: correct the file and upload it again.{% endblocktranslate %}</p>
<table id="import-errors">
  <thead><tr><th>{% translate "line" %}</th><th>{% translate "column" %}</th><th>{% translate "problem" %}</th></tr></thead>
  <tbody>{% for error in errors %}<tr><td>{{ error.line }}</td><td>{{ error.column }}</td><td>{{ error.reason }}</td></tr>{% endfor %}</tbody>
</table>
{% if errors_not_shown %}<p>{% blocktranslate count counter=errors_not_shown %}…and {{ counter }} more problem.{% plural %}…and {{ counter }} more problems.{% endblocktranslate %}</p>{% endif %}
<p><a href="{{ upload_url }}">{% translate "Upload a corrected file" %}</a></p>
{% elif not plan.rows %}
<p class="errornote">{% translate "The file has a header but no rows; there is nothing to import." %}</p>
{% else %}
<p id="import-summary">{% blocktranslate with created=plan.to_create updated=plan.to_update %}{{ file_name }} is fine: it would create {{ created }} and update {{ updated }} people.{% endblocktranslate %}</p>
<form method="post" action="{{ confirm_url }}" id="case-import-confirm">{% csrf_token %}
  <div class="submit-row"><input type="submit" class="default" value="{% translate 'Import' %}"> <a href="{{ upload_url }}">{% translate "Cancel" %}</a></div>
</form>
{% endif %}
{% if rows %}
<table id="import-rows">
  <thead><tr><th>{% translate "line" %}</th><th>{% translate "action" %}</th><th>external_id</th><th>{% translate "name" %}</th><th>{% translate "status" %}</th><th>{% translate "detained on" %}</th><th>{% translate "released on" %}</th><th>{% translate "articles" %}</th><th>{% translate "sentence" %}</th><th>{% translate "public" %}</th></tr></thead>
  <tbody>{% for row in rows %}<tr class="import-{{ row.action }}"><td>{{ row.line }}</td><td>{% if row.action == "create" %}{% translate "create" %}{% else %}{% translate "update" %}{% endif %}</td><td>{{ row.external_id }}</td><td>{{ row.name }}</td><td>{{ row.status }}</td><td>{{ row.detained_on }}</td><td>{{ row.released_on }}{% if row.release_type %} ({{ row.release_type }}){% endif %}</td><td>{{ row.articles|join:"; " }}</td><td>{{ row.sentence.code|default:"" }}</td><td>{% if row.public is None %}{% elif row.public %}{% translate "yes" %}{% else %}{% translate "no" %}{% endif %}</td></tr>{% endfor %}</tbody>
</table>
{% if rows_not_shown %}<p>{% blocktranslate count counter=rows_not_shown %}…and {{ counter }} more row.{% plural %}…and {{ counter }} more rows.{% endblocktranslate %}</p>{% endif %}
{% endif %}
{% endblock %}""",
    "progress": """{% extends "admin/base_site.html" %}{% load i18n %}
"""
    + BREADCRUMBS
    + """
{% block content %}
<div id="import-job" data-state="{{ status.state }}">
{% if status.state == "checked" %}
<p>{% blocktranslate with created=status.to_create updated=status.to_update %}Checked: it would create {{ created }} and update {{ updated }} people.{% endblocktranslate %}</p>
<form method="post" action="{{ job_url }}">{% csrf_token %}<div class="submit-row"><input type="submit" class="default" value="{% translate 'Import' %}"></div></form>
{% elif status.state == "done" %}
<p id="import-done">{% blocktranslate with created=status.created updated=status.updated %}Imported: {{ created }} people created, {{ updated }} updated.{% endblocktranslate %} <a href="{{ changelist_url }}">{% translate "See the people" %}</a></p>
{% elif status.state == "failed" %}
<p class="errornote" id="import-failed">{{ status.message }}</p>
{% if status.errors %}<table id="import-errors"><thead><tr><th>{% translate "line" %}</th><th>{% translate "column" %}</th><th>{% translate "problem" %}</th></tr></thead>
<tbody>{% for line, column, reason in status.errors %}<tr><td>{{ line }}</td><td>{{ column }}</td><td>{{ reason }}</td></tr>{% endfor %}</tbody></table>{% endif %}
<p><a href="{{ upload_url }}">{% translate "Upload a file" %}</a></p>
{% else %}
<p id="import-state">{% if status.state == "queued" %}{% translate "Waiting for a worker…" %}{% elif status.stage == "check" %}{% translate "Checking the file again…" %}{% else %}{% translate "Importing…" %}{% endif %}</p>
<p><progress id="import-progress" max="{{ status.total }}" value="{{ status.done }}"></progress> <span id="import-count">{{ status.done }} / {{ status.total }}</span></p>
<p class="help">{% translate "You can leave this page; the import goes on." %}</p>
{% endif %}
</div>
{% if not finished and status.state != "checked" %}
<script nonce="{{ request.csp_nonce }}">
(function () {
  const url = "{{ status_url|escapejs }}";
  const bar = document.getElementById("import-progress");
  const count = document.getElementById("import-count");
  async function poll() {
    try {
      const status = await (await fetch(url, {credentials: "same-origin"})).json();
      if (status.state === "done" || status.state === "failed") { window.location.reload(); return; }
      if (status.total) { bar.max = status.total; bar.value = status.done || 0; count.textContent = (status.done || 0) + " / " + status.total; }
    } catch (error) { /* a missed poll is retried */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
</script>
{% endif %}
{% endblock %}""",
}
