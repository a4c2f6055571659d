import pytest
from django.contrib.auth.models import Group, User


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
