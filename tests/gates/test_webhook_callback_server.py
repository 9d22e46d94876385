"""The callback listener's answers to whatever POSTs to it (cli-tui.md §5 table)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from tracker.gates.webhook_server import CallbackServer


async def exchange(
    requests: list[tuple[str, str, dict[str, str], bytes]],
) -> tuple[list[tuple[int, str]], Any]:
    """Start a listener with one registered gate `g1` (token `t1`), send `requests`
    (`method, path, headers, body`) in order and return each status and body, plus what
    the gate received."""
    server = CallbackServer("127.0.0.1:0")
    await server.start()
    pending = server.register("g1", "t1")
    out: list[tuple[int, str]] = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, trust_env=False) as client:
            for method, path, headers, body in requests:
                resp = await client.request(method, path, headers=headers, content=body)
                out.append((resp.status_code, resp.text))
        got = pending.answer.result() if pending.answer.done() else None
    finally:
        await server.aclose()
    return out, got


GOOD = {"X-Tracker-Gate-Token": "t1"}
ANSWER = json.dumps({"choice": "approve", "reasoning": "ok"}).encode()


def statuses(*requests: tuple[str, str, dict[str, str], bytes]) -> list[int]:
    out, _ = asyncio.run(exchange(list(requests)))
    return [status for status, _ in out]


def test_an_answer_is_accepted_and_delivered() -> None:
    out, got = asyncio.run(exchange([("POST", "/gate/g1", GOOD, ANSWER)]))
    assert out == [(200, '{"status":"ok"}')]
    assert got.choice == "approve" and got.reasoning == "ok" and got.freeform == ""


def test_a_second_answer_while_the_first_is_pending_is_a_conflict() -> None:
    out, got = asyncio.run(
        exchange(
            [
                ("POST", "/gate/g1", GOOD, ANSWER),
                ("POST", "/gate/g1", GOOD, json.dumps({"choice": "reject"}).encode()),
            ]
        )
    )
    assert out[1] == (409, "gate already resolved\n")
    assert got.choice == "approve"


def test_wrong_method_path_id_and_token() -> None:
    assert statuses(("GET", "/gate/g1", GOOD, b"")) == [405]
    assert statuses(("POST", "/gate/", GOOD, ANSWER)) == [400]
    assert statuses(("POST", "/gate/nope", GOOD, ANSWER)) == [404]
    assert statuses(("POST", "/elsewhere", GOOD, ANSWER)) == [404]
    assert statuses(("POST", "/gate/g1", {}, ANSWER)) == [401]
    assert statuses(("POST", "/gate/g1", {"X-Tracker-Gate-Token": "t2"}, ANSWER)) == [401]


def test_the_token_is_checked_before_the_body() -> None:
    assert statuses(("POST", "/gate/g1", {}, b"not json")) == [401]


def test_bad_bodies_are_rejected_and_the_gate_keeps_waiting() -> None:
    out, got = asyncio.run(
        exchange(
            [
                ("POST", "/gate/g1", GOOD, b"{not json"),
                ("POST", "/gate/g1", GOOD, b"[1, 2]"),
                ("POST", "/gate/g1", GOOD, json.dumps({"choice": 7}).encode()),
                ("POST", "/gate/g1", GOOD, b'{"choice": "' + b"x" * (64 * 1024) + b'"}'),
            ]
        )
    )
    assert [s for s, _ in out] == [400, 400, 400, 400]
    assert out[0][1].startswith("invalid JSON body: ")
    assert got is None


def test_nulls_and_unknown_fields_are_tolerated() -> None:
    body = json.dumps({"choice": None, "freeform": "text", "extra": {"a": 1}}).encode()
    out, got = asyncio.run(exchange([("POST", "/gate/g1", GOOD, body)]))
    assert out[0][0] == 200
    assert got.choice == "" and got.freeform == "text"


def test_chunked_bodies_are_read() -> None:
    async def chunks() -> Any:
        yield b'{"choice":'
        yield b' "approve"}'

    async def send() -> tuple[int, Any]:
        server = CallbackServer("127.0.0.1:0")
        await server.start()
        pending = server.register("g1", "t1")
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                resp = await client.post(
                    f"{server.base_url}/gate/g1", headers=GOOD, content=chunks()
                )
        finally:
            await server.aclose()
        return resp.status_code, pending.answer.result()

    status, got = asyncio.run(send())
    assert status == 200 and got.choice == "approve"


def test_close_stops_listening() -> None:
    async def closed_port() -> bool:
        server = CallbackServer("127.0.0.1:0")
        await server.start()
        url = server.base_url
        await server.aclose()
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.post(f"{url}/gate/g1", headers=GOOD, content=ANSWER)
        except httpx.ConnectError:
            return True
        return False

    assert asyncio.run(closed_port())


def test_the_listener_goes_away_with_its_event_loop() -> None:
    holder: dict[str, Any] = {}

    async def start() -> None:
        server = CallbackServer("127.0.0.1:0")
        await server.start()
        holder["url"] = server.base_url

    asyncio.run(start())  # never closed explicitly

    async def probe() -> bool:
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.post(f"{holder['url']}/gate/g1", headers=GOOD, content=ANSWER)
        except httpx.ConnectError:
            return True
        return False

    assert asyncio.run(probe())
