"""The admin index starts with the work: article intake, CSV import and the review queue, for those who may do it."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from prisoners.models import ProposalState
from prisoners.templatetags.staff_digests import changes_waiting_count
from tests.prisoners.factories import ChangeProposalFactory

pytestmark = pytest.mark.django_db

INDEX_URL = reverse("admin:index")
LINKS = {
    "start-intake": reverse("admin:sources_source_intake_start"),
    "start-import": reverse("admin:prisoners_person_import"),
    "start-review": reverse("admin:prisoners_changeproposal_changelist"),
}


def start_here(client) -> str:
    """The "Start here" module of the index, or "" where there is none."""
    response = client.get(INDEX_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="start-here"' not in html:
        return ""
    return html.split('id="start-here"', 1)[1].split("</ul>", 1)[0]


def staff_with(client, *codenames: str) -> User:
    user = User.objects.create_user("limited", password="not-used-in-tests", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_a_researcher_finds_the_intake_the_import_and_the_review_queue_first(researcher_client):
    response = researcher_client.get(INDEX_URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    module = start_here(researcher_client)

    for item, url in LINKS.items():
        assert f'<li id="{item}"><a href="{url}">' in module, item
    # Above the digests and the list of models.
    assert html.index('id="start-here"') < html.index('id="staff-digests"') < html.index('id="content-main"')


def test_each_link_opens_its_page_for_the_researcher(researcher_client):
    for url in LINKS.values():
        assert researcher_client.get(url).status_code == 200, url


def test_the_review_link_counts_only_the_changes_still_waiting(researcher_client):
    ChangeProposalFactory.create_batch(2)
    ChangeProposalFactory(state=ProposalState.APPROVED)
    ChangeProposalFactory(state=ProposalState.REJECTED)

    assert changes_waiting_count() == 2
    assert "2 changes to published people wait for an editor." in start_here(researcher_client)


def test_one_waiting_change_is_counted_in_the_singular(researcher_client):
    ChangeProposalFactory()

    assert "1 change to a published person waits for an editor." in start_here(researcher_client)


def test_with_nothing_waiting_the_review_link_says_so(researcher_client):
    assert "Nothing waits for review." in start_here(researcher_client)


def test_the_waiting_count_is_one_query(django_assert_num_queries):
    ChangeProposalFactory.create_batch(3)

    with django_assert_num_queries(1):  # a COUNT, however many changes wait
        assert changes_waiting_count() == 3


def test_a_view_only_member_sees_no_start_here_links(client):
    staff_with(client, "view_person", "view_source", "view_case")
    ChangeProposalFactory()

    assert start_here(client) == ""
    html = client.get(INDEX_URL).content.decode()
    assert not any(f'href="{url}"' in html for url in LINKS.values())


@pytest.mark.parametrize(
    ("codenames", "shown"),
    [
        (("add_source", "view_source"), {"start-intake"}),
        (("add_person", "change_person", "view_person"), {"start-import"}),
        # The import needs both: its pages refuse staff who may add people but not change them.
        (("add_person", "view_person"), set()),
        (("view_changeproposal",), {"start-review"}),
    ],
    ids=["intake", "import", "add without change", "review"],
)
def test_each_link_follows_the_permission_its_page_asks_for(client, codenames, shown):
    staff_with(client, *codenames)
    module = start_here(client)

    assert {item for item in LINKS if f'id="{item}"' in module} == shown
    for item in shown:
        assert client.get(LINKS[item]).status_code == 200, item
