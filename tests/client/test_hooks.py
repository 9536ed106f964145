"""Hooks: every event of a walk against the sandbox, in step with the stats; a hook that
raises never breaks a walk; the walk-done event for each way a walk ends."""

from __future__ import annotations

import contextlib
import logging

import pytest

from asset_client import (
    AnswerReceived,
    AssetClient,
    AuthenticationError,
    Hooks,
    InvalidParameterError,
    PageYielded,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
    WalkDone,
)
from asset_client.sandbox import Fault, FaultConfig
from tests.client.test_client_sandbox import collect, config, connected


class Recorder(Hooks):
    """Keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def request_sent(self, event: RequestSent) -> None:
        self.events.append(event)

    def answer_received(self, event: AnswerReceived) -> None:
        self.events.append(event)

    def retry_scheduled(self, event: RetryScheduled) -> None:
        self.events.append(event)

    def rate_limit_pause(self, event: RateLimitPause) -> None:
        self.events.append(event)

    def page_yielded(self, event: PageYielded) -> None:
        self.events.append(event)

    def walk_done(self, event: WalkDone) -> None:
        self.events.append(event)

    def of(self, kind: type[object]) -> list[object]:
        return [e for e in self.events if isinstance(e, kind)]


async def test_a_walk_reports_every_request_answer_retry_pause_page_and_its_end() -> None:
    recorder = Recorder()
    faults = FaultConfig(script={2: Fault.SERVER_ERROR_HTML, 4: Fault.RATE_LIMITED})
    async with connected(config(invitees=30, faults=faults), hooks=[recorder]) as (sb, client):
        walk = client.iter_invitee_assets(page_size=10)
        assets = await collect(walk)
    assert len(assets) == 30
    sent = recorder.of(RequestSent)
    answers = [e for e in recorder.of(AnswerReceived) if isinstance(e, AnswerReceived)]
    assert len(sent) == len(answers) == client.stats.requests == len(sb.stats.requests) == 5
    statuses = [a.status for a in answers]
    assert 503 in statuses and None not in statuses
    assert sorted(str(a.error) for a in answers if a.error) == ["RateLimitError", "ServerError"]
    assert [a.error for a in answers if a.status == 503] == ["ServerError"]
    assert all(a.endpoint == "assets" and a.elapsed >= 0 for a in answers)
    retries = [e for e in recorder.of(RetryScheduled) if isinstance(e, RetryScheduled)]
    assert len(retries) == client.stats.retries == 2
    assert sorted(r.rate_limited for r in retries) == [False, True]
    assert any(r.reason.startswith("ServerError") for r in retries)
    assert any(r.reason.startswith("RateLimitError") for r in retries)
    assert all(r.wait > 0 and r.attempt >= 1 for r in retries)
    [pause] = recorder.of(RateLimitPause)
    assert isinstance(pause, RateLimitPause) and pause.wait >= 0.1  # at least one window
    pages = [e for e in recorder.of(PageYielded) if isinstance(e, PageYielded)]
    assert sum(p.records for p in pages) == 30
    [done] = recorder.of(WalkDone)
    assert isinstance(done, WalkDone)
    assert done.outcome == "finished" and done.error is None and done.elapsed > 0
    assert done.stats is walk.stats and done.stats.records == 30
    assert recorder.events[-1] is done  # the end comes last


async def test_a_failed_attempt_without_an_answer_has_no_status() -> None:
    recorder = Recorder()
    faults = FaultConfig(script={1: Fault.CONNECTION_RESET})
    async with connected(config(invitees=5, faults=faults), hooks=[recorder]) as (_, client):
        await collect(client.iter_invitee_assets(page_size=10))
    first = recorder.of(AnswerReceived)[0]
    assert isinstance(first, AnswerReceived)
    assert first.status is None and first.error == "TransportError" and first.attempt == 1
    second = recorder.of(RequestSent)[1]
    assert isinstance(second, RequestSent) and second.attempt == 2


class Boom(Hooks):
    def __init__(self) -> None:
        self.calls = 0

    def page_yielded(self, event: PageYielded) -> None:
        self.calls += 1
        raise RuntimeError("metrics backend down")


async def test_a_hook_that_raises_is_logged_and_the_walk_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="asset_client")
    boom, recorder = Boom(), Recorder()
    async with connected(config(invitees=30), hooks=[boom, recorder]) as (sb, client):
        walk = client.iter_invitee_assets(page_size=10)
        assets = await collect(walk)
        assert [a.uid for a in assets] == [r["uid"] for r in sb.expected("usdt")]
    assert boom.calls == 3
    assert len(recorder.of(PageYielded)) == 3  # the hook after it still ran
    assert walk.stats.hook_errors == client.stats.hook_errors == 3
    assert "hook Boom.page_yielded raised" in caplog.text
    assert "metrics backend down" in caplog.text  # the traceback is in the record


async def test_walk_done_says_failed_with_the_error() -> None:
    recorder = Recorder()
    async with connected(config(invitees=5), secret_key="not-the-secret", hooks=[recorder]) as (
        _,
        client,
    ):
        with pytest.raises(AuthenticationError):
            await collect(client.iter_invitee_assets())
    [done] = recorder.of(WalkDone)
    assert isinstance(done, WalkDone)
    assert done.outcome == "failed" and isinstance(done.error, AuthenticationError)


async def test_walk_done_says_closed_when_the_caller_stops_early() -> None:
    recorder = Recorder()
    async with connected(config(invitees=30), hooks=[recorder]) as (_, client):
        async with contextlib.aclosing(client.iter_invitee_assets(page_size=10)) as walk:
            async for _ in walk:
                break
        assert walk.stats.records == 1
    [done] = recorder.of(WalkDone)
    assert isinstance(done, WalkDone) and done.outcome == "closed" and done.error is None


async def test_partner_walks_report_their_endpoint() -> None:
    recorder = Recorder()
    async with connected(config(invitees=30), hooks=[recorder]) as (_, client):
        invitees = [i async for i in client.iter_invitees(page_size=10)]
    [done] = recorder.of(WalkDone)
    assert isinstance(done, WalkDone) and done.endpoint == "invitees"
    assert done.stats.records == len(invitees) > 0
    assert {e.endpoint for e in recorder.of(RequestSent) if isinstance(e, RequestSent)} == {
        "invitees"
    }


class OnlyRequests:
    """Not a Hooks subclass: any object with some of the methods will do."""

    def __init__(self) -> None:
        self.pages: list[int] = []

    def request_sent(self, event: RequestSent) -> None:
        self.pages.append(event.page_no)


async def test_an_object_with_some_of_the_methods_is_a_hook() -> None:
    hook = OnlyRequests()
    async with connected(config(invitees=30), hooks=[hook]) as (_, client):
        await collect(client.iter_invitee_assets(page_size=10))
    assert sorted(hook.pages) == [1, 2, 3]


def test_a_hook_without_any_hook_method_is_refused(api_key: str) -> None:
    with pytest.raises(InvalidParameterError, match="hooks must be Hooks objects") as caught:
        AssetClient(api_key, "secret", hooks=[print])  # type: ignore[list-item]
    assert caught.value.field == "hooks"


class AsyncHook(Hooks):
    async def walk_done(self, event: WalkDone) -> None:  # type: ignore[override]
        raise AssertionError("never run")


async def test_an_async_hook_is_reported_not_silently_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="asset_client")
    async with connected(config(invitees=5), hooks=[AsyncHook()]) as (_, client):
        walk = client.iter_invitee_assets()
        assert len(await collect(walk)) == 5
    assert walk.stats.hook_errors == 1
    assert "returned an awaitable" in caplog.text
