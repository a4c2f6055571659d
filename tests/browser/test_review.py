"""In Chromium: a Researcher's edit of a published person waits for an Editor, then readers see it."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "a long test password 2025"
PROFILE = "/prisoners/siarhei-tsikhanouski/"


def staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def log_in(page, site_url, username):
    page.context.clear_cookies()
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_a_researchers_edit_waits_for_an_editor_then_appears(site_url, page, artifacts_dir):
    staff("researcher", "Researcher")
    staff("editor", "Editor")

    log_in(page, site_url, "researcher")
    page.goto(f"{site_url}/admin/prisoners/person/?q=Tsikhanouski")
    page.click("#result_list a >> text=Siarhei Tsikhanouski")
    page.fill("#id_occupation", "blogger and candidate for president")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("waits for an editor")
    expect(page.locator("#id_occupation")).to_have_value("blogger (YouTube channel “A Country for Life”)")

    page.goto(f"{site_url}{PROFILE}")
    expect(page.locator("main")).not_to_contain_text("candidate for president")

    log_in(page, site_url, "editor")
    page.goto(f"{site_url}/admin/prisoners/changeproposal/")
    row = page.locator("#result_list tbody tr", has_text="candidate for president")
    expect(row.locator("ins")).to_have_text("blogger and candidate for president")
    page.screenshot(path=str(artifacts_dir / "review-queue.png"), full_page=True)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("Approved 1 change")

    page.goto(f"{site_url}{PROFILE}")
    expect(page.locator("main")).to_contain_text("blogger and candidate for president")
