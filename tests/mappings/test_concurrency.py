"""First writes racing each other on PostgreSQL: the one that creates the row wins, the others wait and reuse it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from mappings.keywords import KeywordInput
from mappings.models import KeywordList, MappingTable
from mappings.services import keyword_list_replace
from projects.services.mapping import mapping_table_create_for_link

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one writer at a time: racing first writes need PostgreSQL (set DATABASE_URL to run this).",
    ),
    pytest.mark.django_db(transaction=True),
]


def race(work: Callable[[], object], times: int = 6) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(times)

    def run() -> None:
        try:
            start.wait(timeout=10)
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_racing_first_uploads_of_a_keyword_list_create_it_once(project) -> None:
    entries = [KeywordInput("Request for Information", "Receive")]

    errors = race(
        lambda: keyword_list_replace(
            project=project, kind=KeywordList.Kind.RFI_ACTION, entries=entries, source=KeywordList.Source.PROJECT_CENTER
        )
    )

    assert errors == []
    assert KeywordList.objects.filter(project=project, kind=KeywordList.Kind.RFI_ACTION).count() == 1


def test_racing_first_mapping_tables_of_a_link_create_it_once(link) -> None:
    MappingTable.objects.filter(link=link).delete()

    errors = race(lambda: mapping_table_create_for_link(link=link))

    assert errors == []
    assert MappingTable.objects.filter(link=link).count() == 1
