import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request activates its language in the test's thread and leaves it there, so after a /be/ or
    /ru/ page reverse() would go on giving that language's URLs. Every test starts from the default."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages are keyed by the public state (prisoners.freshness); two tests with the same
    frozen time and counts must not read each other's pages."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _staff_in(group_name: str, username: str) -> User:
    user = User.objects.create_user(username=username, password="not-used-in-tests", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def researcher(db):
    return _staff_in("Researcher", "researcher")


@pytest.fixture
def editor(db):
    return _staff_in("Editor", "editor")


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
