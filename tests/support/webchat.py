"""A webchat (channel-web) visitor for a real Botpress 12.22.1 server.

    with Webchat(server_url, "my-bot", language="fr") as chat:
        replies = chat.say("hello")                 # the bot's messages once they settle
        replies = chat.click("What is a Context?", "CONTEXT")
        chat.wait_for(lambda m: m["payload"].get("agent"))   # e.g. an agent's message
        chat.messages()                             # the conversation as stored

channel-web accepts a visitor's message only from a visitor holding a live socket.io
socket in the `guest` namespace: the message names that socket (`webSessionId`) and the
server reads the visitor id (the user id, `event.target`) from the socket's room. The
bot's replies are pushed on that socket at once; storage (`conversations/get`) is written
in batches about once a second.

12.22.1 runs socket.io 2.2.0 (Engine.IO protocol 3). This client speaks that protocol
itself over HTTP long-polling with httpx, which the project already depends on: no Node
helper process to drive, and no npm package pinned to an old socket.io major. Polling is
one of the two transports the server enables by default, and the part of the protocol
needed is small: a handshake, `<length>:<packet>` framing, a ping every ping interval,
and two socket.io packet types (namespace connect, event).

Every message is handed to tests as a small dict (see `message_view`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Callable

import httpx

EVENT_PREFIX = "42/guest,"  # Engine.IO message (4) + socket.io event (2) in the guest namespace


def _decode_payload(body: str) -> list[str]:
    """Split an Engine.IO 3 text payload; lengths count UTF-16 units (JavaScript's length)."""
    packets, i = [], 0
    while i < len(body):
        colon = body.index(":", i)
        units, end = int(body[i:colon]), colon + 1
        while units > 0:
            units -= 2 if ord(body[end]) > 0xFFFF else 1  # an emoji is two UTF-16 units
            end += 1
        packets.append(body[colon + 1:end])
        i = end
    return packets


def message_view(row: dict) -> dict:
    """A channel-web message row, pushed or stored (same shape), reduced for tests.

    from: "user" or "bot" (an agent's message comes from the bot's side too; hitl marks
    its payload with agent: true); text: the text, the dropdown's message or a wrapped
    text; choices: [(title, value)] of quick replies or dropdown options.
    """
    payload = row.get("payload") or {}
    text = payload.get("text") or payload.get("message") or (payload.get("wrapped") or {}).get("text")
    choices = [(c["title"], c["payload"]) for c in payload.get("quick_replies") or []]
    choices += [(c["label"], c["value"]) for c in payload.get("options") or []]
    return {
        "id": row.get("id"),
        "from": "user" if row.get("userId") else "bot",
        "type": payload.get("type") or row.get("message_type"),
        "text": text,
        "choices": choices,
        "payload": payload,
        "conversation_id": str(row.get("conversationId")),
    }


class Webchat:
    """One webchat visitor; `with Webchat(url, bot) as chat:` connects a new one.

    language: sent in a 'visit' when the visitor connects, as the real webchat does with
    the browser's locale; it sets `user.language` (any code of up to 3 letters, even one
    the bot does not list). None sends no visit: the user then has no language and no
    hitl session until the first message. A visit never reaches the flows (the builtin
    after-incoming hook discards it), but hitl records it and opens its session then.
    """

    def __init__(self, base_url: str, bot_id: str, *, language: str | None = "en",
                 visitor_id: str | None = None, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        self.language = language
        self.user_id = visitor_id or "t" + uuid.uuid4().hex[:20]  # channel-web allows 40 chars
        self.conversation_id: str | None = None  # known after the first message (or visit)
        self.web_session_id: str | None = None
        self.timeout = timeout
        self.received: list[dict] = []  # every message pushed on the socket, in order
        self._changed = threading.Condition()
        self._last_bot_activity = 0.0
        self._error: str | None = None
        self._namespace_ready = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._api = httpx.Client(timeout=timeout)     # the caller's thread
        self._engine = httpx.Client(timeout=timeout)  # connect, pings, close: never concurrent
        self._poll: httpx.Client | None = None        # the reader thread's long GETs

    @classmethod
    def connect(cls, base_url: str, bot_id: str, **options) -> "Webchat":
        return cls(base_url, bot_id, **options).open()

    def __enter__(self) -> "Webchat":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- Engine.IO 3 / socket.io 2 over long-polling

    def open(self) -> "Webchat":
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self) -> None:
        self._engine_url = f"{self.base_url}/socket.io/"
        # The handshake query reaches every namespace's socket.handshake.query in socket.io 2;
        # b64=1 keeps every payload in the text framing.
        self._query = {"EIO": "3", "transport": "polling", "b64": "1", "visitorId": self.user_id}
        answer = self._engine.get(self._engine_url, params=self._query)
        answer.raise_for_status()
        handshake = json.loads(_decode_payload(answer.text)[0][1:])
        self._query["sid"] = handshake["sid"]
        # socket.io 2 names a namespace's socket "<nsp>#<engine id>": the webSessionId.
        self.web_session_id = f"/guest#{handshake['sid']}"
        self._ping_interval = handshake["pingInterval"] / 1000
        # A long GET is answered at the latest by the pong to the next ping.
        self._poll = httpx.Client(timeout=self._ping_interval + handshake["pingTimeout"] / 1000 + 10)
        self._post_packet("40/guest")
        for target in (self._read_loop, self._ping_loop):
            thread = threading.Thread(target=target, daemon=True, name=f"webchat-{self.user_id}")
            thread.start()
            self._threads.append(thread)
        # The server joins the visitor's room before it acknowledges the namespace connect.
        self._wait(lambda: self._namespace_ready, self.timeout, "acknowledgement of the guest namespace")
        if self.language:
            # What the webchat sends when it opens; channel-web's own load test does the same.
            self.send({"type": "visit", "text": "User visit", "timezone": 0, "language": self.language},
                      min_replies=0, quiet=0.2)

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._threads:
            try:
                self._post_packet("1")  # Engine.IO close: the server ends the pending GET at once
            except httpx.HTTPError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        for client in (self._api, self._engine, self._poll):
            if client is not None:
                client.close()

    def _post_packet(self, packet: str) -> None:
        # Only ASCII is sent this way, so len() equals JavaScript's length.
        answer = self._engine.post(self._engine_url, params=self._query, content=f"{len(packet)}:{packet}",
                                   headers={"Content-Type": "text/plain;charset=UTF-8"})
        answer.raise_for_status()

    def _ping_loop(self) -> None:
        # Without a ping within pingInterval + pingTimeout the server drops the socket.
        while not self._stop.wait(self._ping_interval * 0.8):
            try:
                self._post_packet("2")
            except Exception as error:  # a thread must not die with an unhandled error
                return self._fail(f"ping failed: {error!r}")

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self._poll.get(self._engine_url, params=self._query)
                answer.raise_for_status()
                for packet in _decode_payload(answer.text):
                    if packet == "1" or packet.startswith("41/guest"):
                        return self._fail("the server closed the socket")
                    if packet.startswith("40/guest"):
                        with self._changed:
                            self._namespace_ready = True
                            self._changed.notify_all()
                    elif packet.startswith(EVENT_PREFIX):
                        name, event = json.loads(packet[len(EVENT_PREFIX):])
                        if name == "event":
                            self._on_event(event["name"], event.get("data") or {})
            except Exception as error:
                if not self._stop.is_set():
                    self._fail(f"poll failed: {error!r}")
                return

    def _on_event(self, name: str, data: dict) -> None:
        with self._changed:
            if name == "guest.webchat.message":
                self.received.append(message_view(data))
            # 12.22.1 pushes a bot message right after its typing indicator (the webchat UI
            # plays the delay), so either one only restarts the quiet period.
            if name in ("guest.webchat.message", "guest.webchat.typing") and not data.get("userId"):
                self._last_bot_activity = time.monotonic()
            self._changed.notify_all()

    def _fail(self, why: str) -> None:
        with self._changed:
            self._error = why
            self._changed.notify_all()

    def _wait(self, ready: Callable[[], object], timeout: float, what: str):
        """ready()'s first truthy value; bounded, and fails fast once the socket is dead."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = ready()
                if result:
                    return result
                if self._error:
                    raise ConnectionError(f"webchat {self.user_id}: {self._error}, waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m["from"], m["text"]) for m in self.received]
                    raise TimeoutError(f"webchat {self.user_id}: no {what} within {timeout} s; received {seen}")
                self._changed.wait(min(left, 0.1))  # also re-checks time-based conditions

    # --- the channel-web API

    def _mod(self, route: str, body: dict) -> httpx.Response:
        answer = self._api.post(f"{self.base_url}/api/v1/bots/{self.bot_id}/mod/channel-web/{route}",
                                json={"webSessionId": self.web_session_id, **body})
        if answer.status_code >= 400:
            raise RuntimeError(f"channel-web {route} answered {answer.status_code}: {answer.text}")
        return answer

    def send(self, payload: dict, *, min_replies: int = 1, quiet: float = 0.7,
             timeout: float | None = None) -> list[dict]:
        """Send a payload; return the bot's messages that follow it once they settle.

        Settled: at least `min_replies` bot messages arrived in this conversation and the
        bot pushed nothing (message or typing indicator) for `quiet` seconds. Fewer than
        min_replies within `timeout` raises TimeoutError. min_replies=0 suits a bot meant
        to stay silent (a paused conversation): it returns after `quiet` seconds.
        """
        timeout = timeout or self.timeout
        with self._changed:
            start = len(self.received)
        body = {"payload": payload}
        if self.conversation_id:
            body["conversationId"] = self.conversation_id
        sent_at = time.monotonic()
        self._mod("messages", body)
        if self.conversation_id is None:
            # The server echoes the visitor's own message with the conversation it chose.
            echo = self._wait(lambda: [m for m in self.received[start:] if m["from"] == "user"],
                              timeout, "echo of the visitor's message")
            self.conversation_id = echo[0]["conversation_id"]

        def settled():
            new = [m for m in self.received[start:]
                   if m["from"] == "bot" and m["conversation_id"] == self.conversation_id]
            if len(new) >= min_replies and time.monotonic() - max(sent_at, self._last_bot_activity) >= quiet:
                return (new,)  # truthy even when empty
        return self._wait(settled, timeout, f"{min_replies} bot replies settling")[0]

    def say(self, text: str, **options) -> list[dict]:
        return self.send({"type": "text", "text": text}, **options)

    def click(self, title: str, value: str, **options) -> list[dict]:
        """A quick-reply button, as the webchat sends it: its title as text, its value as payload.

        The builtin single-choice renders values upper-cased ("context" -> "CONTEXT"); take
        them from a reply's `choices` to click exactly what the bot offered.
        """
        return self.send({"type": "quick_reply", "text": title, "payload": value}, **options)

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float | None = None,
                 after: int = 0) -> dict:
        """The first pushed message satisfying predicate, among received[after:].

        Pass after=len(chat.received), read before the action that should cause it, to
        ignore older messages.
        """
        return self._wait(lambda: next((m for m in self.received[after:] if predicate(m)), None),
                          timeout or self.timeout, "message matching the predicate")

    def messages(self, timeout: float | None = None) -> list[dict]:
        """The conversation as stored (channel-web's maxMessagesHistory, 20 by default, latest).

        Storage is written about once a second, so this waits (bounded) until it holds the
        last message pushed; visits are pushed but never listed.
        """
        if self.conversation_id is None:
            return []
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._changed:
            pushed = [m["id"] for m in self.received
                      if m["conversation_id"] == self.conversation_id and m["type"] != "visit"]
        while True:
            stored = self._mod("conversations/get", {"conversationId": self.conversation_id}).json()
            rows = [message_view(row) for row in stored.get("messages", [])]
            if not pushed or pushed[-1] in {m["id"] for m in rows}:
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(f"webchat {self.user_id}: storage lacks message {pushed[-1]}")
            time.sleep(0.2)
