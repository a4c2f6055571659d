"""The import collects cyclic garbage rarely while it runs, and puts Python's collector back as it was."""

import gc

import pytest

from prisoners import services
from prisoners.imports import CasesFileRejected, cases_file_import
from prisoners.roles import SYSTEM

pytestmark = pytest.mark.django_db

GOOD = b"external_id,name,detained_on\nx-1,Ales Bialiatski,2021-07-14\n"
BAD = b"external_id,name\nx-1,\n"


def test_the_collector_runs_rarely_during_an_import_and_as_before_after_it(monkeypatch):
    before = gc.get_threshold()
    seen = []
    refresh = services.people_status_refresh
    monkeypatch.setattr(
        services, "people_status_refresh", lambda **kw: seen.append(gc.get_threshold()) or refresh(**kw)
    )

    cases_file_import(acting_user=SYSTEM, data=GOOD)

    assert seen and seen[0][0] >= services.BULK_GC_THRESHOLD
    assert gc.get_threshold() == before


def test_a_refused_file_puts_the_collector_back_too():
    before = gc.get_threshold()

    with pytest.raises(CasesFileRejected):
        cases_file_import(acting_user=SYSTEM, data=BAD)

    assert gc.get_threshold() == before
