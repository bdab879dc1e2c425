"""An item's content in the change feed: a change to what a reviewer reads (an answer, the description, a
reviewer's response) is a `changed` entry carrying the new content; the same content again is no entry; the echo of
the portal's own response is no news, but a content change arriving with it is."""

from __future__ import annotations

import datetime as dt

from projects.models import FeedEntry, ProjectLink, SyncedItem
from projects.services import link_sync
from providers.types import Answer, ItemContent, Person, Reviewer
from tests.projects.conftest import Clock, FakeProvider

ASKED = ItemContent(question="Which drawing governs at C/4?", description="Beam depth")
FIRST = Answer(
    text="Checking.", author=Person(id="9", name="Gina"), date=dt.datetime(2026, 3, 3, tzinfo=dt.UTC), official=False
)
OFFICIAL = Answer(
    text="S-201 governs.", author=Person(id="7", name="Sam"), date=dt.datetime(2026, 3, 4, tzinfo=dt.UTC), official=True
)


def sync(link: ProjectLink, provider: FakeProvider, clock: Clock) -> None:
    link_sync(link_id=link.pk, clock=clock, port=provider)
    clock.advance(minutes=2)


def entries(link: ProjectLink) -> list[FeedEntry]:
    return list(FeedEntry.objects.filter(link=link).order_by("position"))


def test_a_new_answer_in_the_thread_is_a_change_that_carries_the_whole_thread(link, provider, clock):
    provider.put("rfi", "7", content=ItemContent(question=ASKED.question, answers=(FIRST,)))
    sync(link, provider, clock)

    provider.put("rfi", "7", content=ItemContent(question=ASKED.question, answers=(FIRST, OFFICIAL)))
    sync(link, provider, clock)

    new, changed = entries(link)
    assert (new.change, changed.change) == ("new", "changed")
    assert [a["text"] for a in new.snapshot["content"]["answers"]] == ["Checking."]
    answers = changed.snapshot["content"]["answers"]
    assert [(a["text"], a["official"], a["author"]["name"]) for a in answers] == [
        ("Checking.", False, "Gina"),
        ("S-201 governs.", True, "Sam"),
    ]
    assert answers[1]["date"] == "2026-03-04T00:00:00Z"


def test_a_changed_description_is_a_change_and_the_same_content_again_is_none(link, provider, clock):
    provider.put("submittal", "8", content=ASKED)
    sync(link, provider, clock)
    provider.put("submittal", "8", content=ItemContent(question=ASKED.question, description="Beam depth, revised"))
    sync(link, provider, clock)
    provider.put("submittal", "8")  # touched upstream, nothing a reviewer reads changed
    sync(link, provider, clock)

    assert [e.change for e in entries(link)] == ["new", "changed"]
    assert entries(link)[-1].snapshot["content"]["description"] == "Beam depth, revised"
    assert SyncedItem.objects.get(provider_id="8").content["description"] == "Beam depth, revised"


def test_another_reviewers_response_is_a_change(link, provider, clock):
    pending = Reviewer(person=Person(id="5", name="Sam Structural"), step=1)
    provider.put("submittal", "9", content=ItemContent(reviewers=(pending,)))
    sync(link, provider, clock)

    answered = Reviewer(person=pending.person, step=1, response="Approved", returned_date=dt.date(2026, 3, 4))
    provider.put("submittal", "9", content=ItemContent(reviewers=(answered,)))
    sync(link, provider, clock)

    changed = entries(link)[-1]
    assert changed.change == "changed"
    assert changed.snapshot["content"]["reviewers"][0]["response"] == "Approved"
    assert changed.snapshot["content"]["reviewers"][0]["returned_date"] == "2026-03-04"


def test_the_echo_of_the_portals_own_response_is_marked_as_its_own_but_a_content_change_with_it_is_not(
    link, provider, clock
):
    provider.put("submittal", "10", content=ASKED)
    sync(link, provider, clock)
    item = SyncedItem.objects.get(provider_id="10")
    # The portal posted the reviewer's response: the provider shows it on the reviewer and moves the ball.
    SyncedItem.objects.filter(pk=item.pk).update(echo_pending=True)
    mine = Reviewer(person=Person(id="1", name="Rita"), response="Approved", returned_date=dt.date(2026, 3, 5))
    echo = ItemContent(question=ASKED.question, description=ASKED.description, reviewers=(mine,))
    provider.put("submittal", "10", content=echo, ball_in_court=("General Contractor",))
    sync(link, provider, clock)
    # Project Center learns the state its response led to, marked as the portal's own: never a new request to review.
    assert [(e.change, e.origin) for e in entries(link)] == [("new", "provider"), ("changed", "portal_response")]

    SyncedItem.objects.filter(pk=item.pk).update(echo_pending=True)
    provider.put(
        "submittal", "10", content=ItemContent(question=ASKED.question, description="Changed", reviewers=(mine,))
    )
    sync(link, provider, clock)
    assert [(e.change, e.origin) for e in entries(link)][-1] == ("changed", "provider")
