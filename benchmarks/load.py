"""A handoff under load, on a real Botpress 12.22.1 server; writes section 4 of RESULTS.md.

    .venv/bin/python benchmarks/load.py [--sizes 10,50,100,200] [--keep]

For each size N, N users ask for an agent at the same moment (a thread per user,
released together by a barrier), through the Converse API and through channel-web
(visitors connected beforehand), each twice: in a bot with the generated
`two-handoffs` example installed as INSTALL.md says (its `sales` handoff alerts through
a JSON webhook, then pauses the user's conversation), and in a bot whose flow calls the
forum's recipe (tests/fixtures/actions/forum_recipe.js: log in with the admin password,
then pause `/sessions/<event.threadId>`). Per run it records:

- paused right: users whose OWN hitl session ended paused (read from the server's
  `hitl_sessions` table: the module's listing stops at 100 sessions), and how many
  other sessions (any bot, any user) ended paused;
- the answers: replied, "Request timed out." (the Converse API's 400), no reply, or failed;
- alerts: webhooks at the loopback sink, per user: exactly once, duplicated, missing;
- latency from sending the user's message to the pause (first seen by a 0.1 s poll of
  the table, so up to ~0.1 s late) and to the webhook's arrival: p50 / p95 / max;
- worker restarts (a "Botpress Server" banner after the run began) and error lines in
  the server log, with the distinct ones kept as evidence.

The forum recipe's admin password reaches the server only as EXPOSED_BP_PASSWORD in
its environment (never in a file), as the recipe's forum thread did. Needs the test
set-up (the README's test command): Node 12, the unpacked server, nodemailer.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.build import run_cli  # noqa: E402
from support.builder_wiring import install_nodemailer, smtp_for_skills, wire  # noqa: E402
from support.emulator import HitlEmulator  # noqa: E402
from support.real_server import RealBotpress  # noqa: E402
from support.smtp_sink import SmtpSink  # noqa: E402
from support.webchat import Webchat  # noqa: E402

from hitl_gen.spec.load import load_spec  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from sections import Section  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
# run.py rewrites RESULTS.md wholesale; it keeps what lies between these markers.
SECTION = Section("load.py", 4)
TITLE = "## 4. A handoff under load (real Botpress 12.22.1)"
EXAMPLE = REPO / "examples" / "two-handoffs.yaml"
RECIPE = REPO / "tests" / "fixtures" / "actions" / "forum_recipe.js"
TEXT = "I want to buy a boat"  # the `sales` keyword "buy"; the forum bot runs its recipe on any text
POLL_S = 0.1
SETTLE_S = 150  # the longest wait for a user's reply, pause and alert
# The generated handoff and the forum recipe, each through the Converse API (channel
# "api": event.threadId is a conversation UUID) and channel-web (an integer conversation id).
VARIANTS = [("generated", "api"), ("forum", "api"), ("generated", "web"), ("forum", "web")]


# ---- the server and its sinks --------------------------------------------------

class StampedList(list):
    """The sink's webhook list, stamping each arrival: the emulator keeps no time."""

    def append(self, request) -> None:
        request.arrived = time.monotonic()
        super().append(request)


def start_server(work: Path, sink: HitlEmulator, smtp: SmtpSink) -> RealBotpress:
    """A fresh server whose JSON webhook goes to the sink; the forum recipe's
    EXPOSED_BP_* (the admin password among them) exist only in its environment."""
    server = RealBotpress(work / "botpress", env={
        "EXPOSED_JSON_WEBHOOK": f"{sink.url}/__sinks/webhook/json",
        "EXPOSED_SMTP_URL": smtp.url,
    })
    server.env.update(EXPOSED_BP_URL=server.url, EXPOSED_BP_EMAIL=server.email, EXPOSED_BP_PASSWORD=server.password)
    server.workdir.mkdir(parents=True)
    return server.start()


def install_generated(server: RealBotpress, smtp: SmtpSink, bot: str, work: Path) -> None:
    """The example under `bot`, installed the way tests/real/test_conformance.py does."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["target"]["bot"] = bot
    spec_path = work / f"{bot}.yaml"
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bot_dir = server.create_bot(bot, ["en"])
    code, _, err = run_cli("build", spec_path, "--into", bot_dir)
    if code != 0:
        raise SystemExit(f"hitl-gen build --into {bot_dir} failed ({code}): {err}")
    install_nodemailer(bot_dir)
    smtp_for_skills(bot_dir, smtp.url)
    wire(bot_dir, load_spec(spec_path, str(spec_path)))
    reload_when_served(server, bot, ["e0e0e0e0e0", "sales.flow.json"])


def install_forum(server: RealBotpress, bot: str, work: Path) -> None:
    """The builder's test bot plus one node that runs the forum recipe on the trigger
    (any text: each user sends one), then answers, as the forum thread wired it. The
    flow is composed aside and written once (see reload_when_served)."""
    bot_dir, scratch = server.create_bot(bot, ["en"]), work / "scratch" / bot
    (scratch / "flows").mkdir(parents=True)
    wire(scratch, None)
    flow = json.loads((scratch / "flows" / "main.flow.json").read_text(encoding="utf-8"))
    flow["nodes"][0]["next"].insert(0, {"condition": "event.type === 'text'", "node": "forum"})
    flow["nodes"].append({"id": "f0f0f0f0f0", "name": "forum", "type": "standard", "onReceive": None,
                          "onEnter": ["test_bot/forum_recipe {}", "test_bot/answer {}"], "next": [{"condition": "true", "node": ""}]})
    shutil.copytree(scratch / "actions", bot_dir / "actions", dirs_exist_ok=True)
    shutil.copy(RECIPE, bot_dir / "actions" / "test_bot" / "forum_recipe.js")
    (bot_dir / "flows" / "main.flow.json").write_text(json.dumps(flow, indent=2) + "\n", encoding="utf-8")
    reload_when_served(server, bot, ["f0f0f0f0f0"])


def reload_when_served(server: RealBotpress, bot: str, marks: list[str], timeout: float = 60) -> None:
    """Reload once the Studio serves the flows as written. Botpress reads bot files through
    a cache that chokidar invalidates when it sees a write: a reload right after writing
    mounted the template's flow (a forum bot whose node never ran), and a second write
    of the same file within moments was once never seen at all (60 s). So the file is
    written again (same bytes, a fresh event) every 5 s until the Studio shows it."""
    main_flow = server.data / "bots" / bot / "flows" / "main.flow.json"
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        answer = server.http.get(f"/api/v1/studio/{bot}/flows", headers=server.admin_headers())
        if answer.status_code == 200 and all(mark in answer.text for mark in marks):
            return server.reload(bot)
        time.sleep(0.3)
        if int(time.monotonic() - started) % 5 == 0:
            main_flow.write_bytes(main_flow.read_bytes())
    raise SystemExit(f"the Studio never served {marks} for {bot}; log:\n{server.log_tail()}")


def paused_sessions(server: RealBotpress) -> list[tuple]:
    """(id, botId, channel, userId, thread_id) of every paused hitl session, whatever the bot."""
    return server.sql("SELECT id, botId, channel, userId, thread_id FROM hitl_sessions WHERE paused = 1")


def unpause_all(server: RealBotpress) -> None:
    """Each run starts with nothing paused (through the module's own route), so every
    session paused at its end was paused by it."""
    for session_id, bot, *_ in paused_sessions(server):
        answer = server.http.post(f"/api/v1/bots/{bot}/mod/hitl/sessions/{session_id}/unpause", headers=server.bot_api(bot))
        answer.raise_for_status()


def wait_ready(server: RealBotpress, bot: str, timeout: float = 90) -> None:
    """After a worker restart the server needs a while before it answers again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if server.http.get(f"/api/v1/bots/{bot}/mod/hitl/sessions", headers=server.bot_api(bot)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit(f"the server never answered again; log:\n{server.log_tail()}")


# ---- one run ---------------------------------------------------------------------

class PauseWatch(threading.Thread):
    """When each user's own session was first seen paused (polls the table: the
    listing route shows at most 100 sessions)."""

    def __init__(self, server: RealBotpress, bot: str, channel: str):
        super().__init__(daemon=True)
        self.server, self.bot, self.channel, self.first, self.stopped = server, bot, channel, {}, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            rows = self.server.sql("SELECT userId FROM hitl_sessions WHERE botId = ? AND channel = ? AND paused = 1",
                                   self.bot, self.channel)
            now = time.monotonic()
            for (user,) in rows:
                self.first.setdefault(user, now)
            self.stopped.wait(POLL_S)


def together(users: list, act) -> None:
    """act(user) in one thread per user, all released by a barrier at the same moment."""
    barrier = threading.Barrier(len(users))

    def one(user) -> None:
        barrier.wait()
        act(user)

    threads = [threading.Thread(target=one, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fire_api(server: RealBotpress, bot: str, n: int) -> tuple[dict, dict]:
    """N Converse API users at once: ({user: (sent at, outcome)}, {user: None}); outcome
    'replied', 'timed out' (the Converse API's 400 after 5 s of silence) or the error."""
    users, results = [f"{bot}-u{i:03d}" for i in range(n)], {}
    limits = httpx.Limits(max_connections=n + 5, max_keepalive_connections=n + 5)
    with httpx.Client(base_url=server.url, timeout=120, limits=limits) as client:
        def ask(user: str) -> None:
            sent = time.monotonic()
            try:
                answer = client.post(f"/api/v1/bots/{bot}/converse/{user}", json={"type": "text", "text": TEXT})
                outcome = ("replied" if answer.status_code == 200 else
                           "timed out" if "timed out" in answer.text.lower() else f"HTTP {answer.status_code}")
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            results[user] = (sent, outcome)

        together(users, ask)
    return results, dict.fromkeys(users)


def fire_web(server: RealBotpress, bot: str, n: int) -> tuple[dict, dict]:
    """N channel-web visitors, connected first (not timed), then their messages at once:
    ({user: (sent at, outcome)}, {user: their conversation id})."""
    with ThreadPoolExecutor(8) as pool:  # connecting is set-up, not the load measured
        chats = list(pool.map(lambda _: Webchat(server.url, bot, language=None, timeout=SETTLE_S).open(), range(n)))
    results = {}

    def ask(chat: Webchat) -> None:
        sent = time.monotonic()
        try:
            chat.say(TEXT, quiet=0.3)
            outcome = "replied"
        except TimeoutError:
            outcome = f"no reply in {SETTLE_S} s"
        except Exception as error:  # a dead socket, a refused message: counted, not fatal
            outcome = type(error).__name__
        results[chat.user_id] = (sent, outcome)

    try:
        together(chats, ask)
    finally:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(Webchat.close, chats))
    return results, {chat.user_id: chat.conversation_id for chat in chats}


def settle(progress, done, quiet: float = 5, cap: float = 60) -> None:
    """Wait until done(), or until progress() stopped changing for `quiet` seconds."""
    deadline, last, changed = time.monotonic() + cap, progress(), time.monotonic()
    while time.monotonic() < deadline and not done():
        time.sleep(0.2)
        now = progress()
        if now != last:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed > quiet:
            return


@dataclass
class Outcome:
    variant: str
    channel: str
    n: int
    paused_right: int = 0
    paused_other: int = 0
    answers: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)  # per user: how many webhooks named them
    stray_alerts: int = 0                              # webhooks naming none of the run's users
    pause_latency: list = field(default_factory=list)
    alert_latency: list = field(default_factory=list)
    recipe_runs: int = 0                               # forum: how often the log shows the recipe starting
    restarts: int = 0
    errors: list = field(default_factory=list)


def run_once(server: RealBotpress, sink: HitlEmulator, bot: str, n: int, variant: str, channel: str) -> Outcome:
    """N users of `bot` ask for an agent together; what ended paused, what alerted, how fast."""
    server.token()  # a fresh admin token: a long run outlives the first one
    wait_ready(server, bot)
    unpause_all(server)
    mark, first_hook = server.log_mark(), len(sink.webhooks)
    watch = PauseWatch(server, bot, channel)
    watch.start()
    sent, threads = (fire_api if channel == "api" else fire_web)(server, bot, n)
    expects_alerts = variant == "generated"
    # A generated handoff that is late is waited for (up to SETTLE_S), so that it counts in
    # this run and does not pause a session during the next one; the recipe never pauses
    # its users, so for it five quiet seconds end the wait.
    settle(lambda: (len(watch.first), len(sink.webhooks)),
           lambda: len(watch.first) >= n and (not expects_alerts or len(sink.webhooks) - first_hook >= n),
           quiet=SETTLE_S if expects_alerts else 5, cap=SETTLE_S)
    time.sleep(2)  # late duplicates
    watch.stopped.set()
    watch.join()
    out = Outcome(variant, channel, n, answers=Counter(outcome for _, outcome in sent.values()))
    count_pauses(out, server, channel, threads, sent, watch.first)
    count_alerts(out, sink.webhooks[first_hook:], sent)
    out.restarts, out.errors = server.restarts(mark), server.log_errors(mark)
    out.recipe_runs = sum(1 for line in server.log_since(mark).splitlines()
                          if f"({bot})" in line and 'execute action "test_bot/forum_recipe"' in line)
    return out


def count_pauses(out: Outcome, server: RealBotpress, channel: str, threads: dict, sent: dict, paused_at: dict) -> None:
    """Right: the user's own session (on the web, of the user's own conversation) is paused."""
    paused = [(channel_, user, str(thread)) for _, _, channel_, user, thread in paused_sessions(server)]
    right = [user for channel_, user, thread in paused
             if channel_ == channel and user in threads and threads[user] in (None, thread)]
    out.paused_right, out.paused_other = len(right), len(paused) - len(right)
    out.pause_latency = [paused_at[u] - sent[u][0] for u in right if u in paused_at]


def count_alerts(out: Outcome, hooks: list, sent: dict) -> None:
    """Each webhook is attributed to the users it names (the user id is the full name of a
    user without one); latency to the first."""
    named = re.compile("|".join(re.escape(u) for u in sent))
    for hook in hooks:
        who = set(named.findall(json.dumps(hook.body, ensure_ascii=False)))
        out.stray_alerts += not who
        for user in who:
            if not out.alerts[user]:
                out.alert_latency.append(hook.arrived - sent[user][0])
            out.alerts[user] += 1


# ---- the report ------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def lat(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{pct(values, 0.5):.2f} / {pct(values, 0.95):.2f} / {max(values):.2f} s"


def row(o: Outcome) -> str:
    once = sum(1 for count in o.alerts.values() if count == 1)
    dup = sum(1 for count in o.alerts.values() if count > 1)
    missing = o.n - len(o.alerts)
    alerts = (f"{once}/{o.n} (dup {dup}, missing {missing}, stray {o.stray_alerts})" if o.variant == "generated"
              else f"— (sends none; the recipe ran {o.recipe_runs}×)")
    answers = ", ".join(f"{k} {v}" for k, v in sorted(o.answers.items()))
    return (f"| {o.variant} | {o.channel} | {o.n} | {o.paused_right}/{o.n} | {o.paused_other} | {answers} | {alerts} | "
            f"{lat(o.pause_latency)} | {lat(o.alert_latency) if o.variant == 'generated' else '—'} | {o.restarts} | {len(o.errors)} |")


def evidence(o: Outcome, limit: int = 4) -> list[str]:
    """The distinct error lines of a run (numbers, ids and times blanked to group them)."""
    grouped = Counter(re.sub(r"\d+", "N", line.split("]", 1)[-1].strip())[:180] for line in o.errors)
    return [f"  - {count}× `{text.replace('`', chr(39))}`" for text, count in grouped.most_common(limit)]


def section(outcomes: list[Outcome], command: str) -> str:
    lines = [TITLE, "",
             f"- date: {date.today().isoformat()}; machine: {os.cpu_count()} cores, Python {platform.python_version()}",
             f"- command: `{command}`",
             "- N users send \"I want to buy a boat\" together (a barrier releases one thread each), through the "
             "Converse API (`api`: `event.threadId` is a conversation UUID) or channel-web (`web`, connected "
             "beforehand: an integer conversation id). generated: `examples/two-handoffs.yaml` (`sales`: JSON "
             "webhook, then pause this conversation) installed with `build --into`; forum: a node running "
             "`tests/fixtures/actions/forum_recipe.js` (login with the admin password, then "
             "`/sessions/<event.threadId>/pause`). A fresh bot per run; every session unpaused before it.",
             "- paused right: the user's own hitl session ended paused (server table); other paused: any other session "
             "(any bot) paused at the end; latencies from the user's send to the pause (0.1 s poll) and to the webhook "
             "at the sink: p50 / p95 / max; restarts: worker banners during the run; log errors: lines matching "
             "`ERROR_PATTERNS` of tests/support/real_server.py.", "",
             "| variant | channel | N | paused right | other sessions paused | answers | alerts exactly once "
             "| pause latency p50 / p95 / max | alert latency p50 / p95 / max | worker restarts | log errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
             *[row(o) for o in outcomes], ""]
    for o in outcomes:
        if o.errors:
            lines += [f"- log errors, {o.variant} {o.channel} N={o.n}:", *evidence(o)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,100,200", help="comma-separated numbers of users (default 10,50,100,200)")
    parser.add_argument("--keep", action="store_true", help="keep the server's folder (its log) and print where")
    parser.add_argument("--sink-backlog", type=int, default=1024,
                        help="listen backlog of the webhook sink (Python's default, 5, makes a slow alert endpoint)")
    args = parser.parse_args()
    # The sink stands for Slack or a JSON endpoint, which accept hundreds of connections at
    # once; with socketserver's backlog of 5, 200 simultaneous webhooks overflow its accept
    # queue and wait out TCP's SYN retries (1, 3, 7 ... 107 s seen).
    ThreadingHTTPServer.request_queue_size = args.sink_backlog
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="hitl-gen-load-"))
    sink, smtp = HitlEmulator().start(), SmtpSink().start()
    sink.webhooks = StampedList()
    server = start_server(work, sink, smtp)
    outcomes = []
    try:
        for n in sizes:
            for variant, channel in VARIANTS:
                bot = f"load-{variant[:3]}-{channel}-{n}"  # a fresh bot per run
                install_generated(server, smtp, bot, work) if variant == "generated" else install_forum(server, bot, work)
                outcomes.append(run_once(server, sink, bot, n, variant, channel))
                print(row(outcomes[-1]), flush=True)
    finally:
        server.stop()
        smtp.stop()
        sink.stop()
        print(f"server log: {server.log_path}" if args.keep else "", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    command = (f"{Path(sys.executable).name} benchmarks/load.py" + (f" --sizes {args.sizes}" if args.sizes != "10,50,100,200" else "")
               + (f" --sink-backlog {args.sink_backlog}" if args.sink_backlog != 1024 else ""))
    text = section(outcomes, command)
    RESULTS.write_text(SECTION.splice(RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else "", text), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
