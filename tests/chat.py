"""A person in the web chat, driven through its client API, as the page would."""

from __future__ import annotations

import asyncio
import io
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

WAIT = 10.0

_products: dict[str, Callable[[], Any]] = {}
"""The running product behind each base URL (registered by tests/conftest.py `Running`)."""


def serve(base_url: str, product: Callable[[], Any] | None) -> None:
    """Register (or with None forget) the product that answers at `base_url`."""
    if product is None:
        _products.pop(base_url, None)
    else:
        _products[base_url] = product


async def until_idle(product: Any, timeout: float = WAIT) -> None:
    """Wait until `product.idle()`: no update unhandled or in flight, no outbox message due."""
    deadline = time.monotonic() + timeout
    while not await product.idle():
        assert time.monotonic() < deadline, f"the product was still busy after {timeout} s"
        await asyncio.sleep(0.005)


class ChatUser:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, user_id: int, token: str):
        self.http = http
        self.base_url = base_url
        self.user_id = user_id
        self.token = token
        self.seq = 0
        self.messages: dict[int, dict[str, Any]] = {}
        self.unread: deque[dict[str, Any]] = deque()

    @classmethod
    async def create(
        cls,
        http: aiohttp.ClientSession,
        base_url: str,
        first_name: str = "张三",
        language_code: str | None = "zh-CN",
    ) -> ChatUser:
        async with http.post(
            f"{base_url}/api/chat/users",
            json={"first_name": first_name, "language_code": language_code},
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        return cls(http, base_url, body["user_id"], body["token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def send(self, text: str) -> int:
        return await self._post("send", {"text": text})

    async def send_json(self, body: dict[str, Any]) -> int:
        return await self._post("send", body)

    async def send_file(
        self, data: bytes, name: str, *, kind: str = "photo", content_type: str | None = None
    ) -> int:
        """Upload a photo or document as the page does (multipart). Telegram delivers an album
        as one message per item, so an album is several of these in a row."""
        form = aiohttp.FormData(quote_fields=False)  # UTF-8 file names, as browsers send them
        form.add_field(kind, io.BytesIO(data), filename=name, content_type=content_type)
        async with self.http.post(
            f"{self.base_url}/api/chat/send", data=form, headers=self.headers
        ) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["message_id"]

    async def send_location(self, latitude: float, longitude: float) -> int:
        return await self.send_json({"location": {"latitude": latitude, "longitude": longitude}})

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(
            f"{self.base_url}/api/chat/{path}", json=body, headers=self.headers
        ) as response:
            assert response.status == 200, await response.text()
            result = await response.json()
        return result.get("message_id", result)

    async def press(self, message_id: int, data: str) -> dict[str, Any]:
        return await self._post("press", {"message_id": message_id, "data": data})

    async def poll(self, timeout: float = 0) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base_url}/api/chat/events",
            params={"after": self.seq, "timeout": timeout},
            headers=self.headers,
        ) as response:
            assert response.status == 200, await response.text()
            events = (await response.json())["events"]
        for event in events:
            self.seq = event["seq"]
            self.unread.append(event)
            message = event["message"]
            if event["type"] == "delete":
                self.messages.pop(message["message_id"], None)
            else:
                self.messages[message["message_id"]] = message
        return events

    async def expect(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = WAIT
    ) -> dict[str, Any]:
        """The next bot message (new or edited) that satisfies the predicate."""
        deadline = time.monotonic() + timeout
        while True:
            while self.unread:
                event = self.unread.popleft()
                message = event["message"]
                if event["type"] in ("message", "edit") and message["from"]["is_bot"]:
                    if predicate is None or predicate(message):
                        return message
            if time.monotonic() >= deadline:
                break
            await self.poll(timeout=min(2.0, deadline - time.monotonic()))
        recent = [body(m)[:80] for m in list(self.messages.values())[-4:]]
        raise AssertionError(f"the bot did not send the expected message; last ones: {recent}")

    async def expect_all(
        self, *predicates: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> list[dict[str, Any]]:
        """One bot message (new or edited) for each predicate, in whatever order they come
        (a reply and a card's edit sent by different parts of the product, say); returned in
        the predicates' order. Messages matching none are passed over, as `expect` does."""
        found: list[dict[str, Any] | None] = [None] * len(predicates)
        deadline = time.monotonic() + timeout
        while True:
            while self.unread and None in found:
                event = self.unread.popleft()
                message = event["message"]
                if event["type"] not in ("message", "edit") or not message["from"]["is_bot"]:
                    continue
                for index, predicate in enumerate(predicates):
                    if found[index] is None and predicate(message):
                        found[index] = message
                        break
            if None not in found:
                return found  # type: ignore[return-value]
            if time.monotonic() >= deadline:
                break
            await self.poll(timeout=min(2.0, deadline - time.monotonic()))
        missing = [index for index, message in enumerate(found) if message is None]
        recent = [body(m)[:80] for m in list(self.messages.values())[-4:]]
        raise AssertionError(f"expected messages {missing} never came; last ones: {recent}")

    async def reply_to(self, text: str, **kw: Any) -> dict[str, Any]:
        """Send text and return the bot's next message."""
        await self.send(text)
        return await self.expect(**kw)

    async def quiet(self, *, timeout: float = WAIT) -> list[dict[str, Any]]:
        """Bot messages (new or edited) not yet read, once the product is idle (to prove the bot
        said nothing more): whatever it was to send for what happened so far has been sent."""
        product = _products.get(self.base_url)
        assert product is not None, f"no running product at {self.base_url} to wait for"
        await until_idle(product(), timeout)
        await self.poll()
        events, self.unread = list(self.unread), deque()
        return [e["message"] for e in events if e["message"].get("from", {}).get("is_bot")]

    async def commands(self) -> list[str]:
        async with self.http.get(
            f"{self.base_url}/api/chat/commands", headers=self.headers
        ) as response:
            return [item["command"] for item in (await response.json())["commands"]]


def body(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button(message: dict[str, Any], label_part: str) -> str:
    """callback_data of the inline button whose label contains `label_part`."""
    for item in buttons(message):
        if label_part in item["text"]:
            return item["callback_data"]
    raise AssertionError(f"no button containing {label_part!r} in {buttons(message)}")
