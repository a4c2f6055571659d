"""The review queue: what Researchers changed on published people, for an Editor to approve or reject."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import roles, services
from .models import ChangeProposal, ProposalState


class StateFilter(admin.SimpleListFilter):
    """Waiting changes unless asked otherwise: the queue is what needs a decision."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ProposalState.choices, ("all", _("all"))]

    def choices(self, changelist):
        chosen = self.value() or ProposalState.PENDING
        for value, label in self.lookup_choices:
            yield {
                "selected": chosen == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        chosen = self.value() or ProposalState.PENDING
        return queryset if chosen == "all" else queryset.filter(state=chosen)


@admin.register(ChangeProposal)
class ChangeProposalAdmin(admin.ModelAdmin):
    """Read-only rows with their diff; the decisions are actions, taken through the services."""

    list_display = ["proposed_at", "person_link", "kind", "record", "diff_table", "proposed_by", "state"]
    list_filter = [StateFilter, "kind"]
    list_select_related = ["person", "proposed_by", "content_type"]
    search_fields = ["person__display_name", "reason"]
    actions = ["approve", "reject"]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("target")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(roles.REVIEW)

    @admin.display(description=_("person"), ordering="person__display_name")
    def person_link(self, proposal):
        if proposal.person is None:
            return "—"
        url = reverse("admin:prisoners_person_change", args=[proposal.person_id])
        return format_html('<a href="{}">{}</a>', url, proposal.person.display_name)

    @admin.display(description=_("record"))
    def record(self, proposal):
        target = proposal.target
        if target is None:
            return _("(no longer exists)")
        opts = target._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[target.pk])
        return format_html('{}: <a href="{}">{}</a>', opts.verbose_name, url, str(target)[:80])

    @admin.display(description=_("change"))
    def diff_table(self, proposal):
        rows = proposal.diff()
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins>{}</td></tr>",
            (
                (
                    row.label,
                    row.stored,
                    row.proposed,
                    format_html(" <strong>{}</strong>", _("(changed since)")) if row.changed_since else "",
                )
                for row in rows
            ),
        )
        head = format_html(
            "<thead><tr><th scope='col'>{}</th><th scope='col'>{}</th><th scope='col'>{}</th></tr></thead>",
            _("field"),
            _("now"),
            _("proposed"),
        )
        return format_html('<table class="review-diff">{}<tbody>{}</tbody></table>', head, body)

    def _decide(self, request, queryset, decide, done_message):
        done, refused = 0, []
        for proposal in queryset:
            try:
                decide(acting_user=request.user, proposal=proposal)
                done += 1
            except ValueError as refusal:
                refused.append(f"{proposal}: {refusal}")
        self.message_user(request, done_message(done), messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.WARNING)

    @admin.action(description=_("Approve: let the selected changes through to readers"), permissions=["review"])
    def approve(self, request, queryset):
        self._decide(
            request,
            queryset,
            services.proposal_approve,
            lambda n: ngettext("Approved %(count)d change.", "Approved %(count)d changes.", n) % {"count": n},
        )

    @admin.action(description=_("Reject: drop the selected changes"), permissions=["review"])
    def reject(self, request, queryset):
        self._decide(
            request,
            queryset,
            services.proposal_reject,
            lambda n: ngettext("Rejected %(count)d change.", "Rejected %(count)d changes.", n) % {"count": n},
        )
