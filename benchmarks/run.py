"""Rerunnable benchmarks for hitl-gen; writes benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--runs 5] [--quick]

Needs the test set-up (the README's test command) for the run-time part: it uses the
Node runtime and the HITL emulator from tests/. Every figure is the median of
--runs runs with min-max; comparisons are measured side by side, interleaved, in
the same run, and reported as ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import large_bot  # noqa: E402
import synth  # noqa: E402

# the installed console script, as users run it (pip's launcher included)
HITL_GEN = [shutil.which("hitl-gen", path=str(Path(sys.executable).parent)) or "hitl-gen"]


# Peak RSS on Linux: a child's ru_maxrss starts from the memory of whatever process
# started it (the high-water mark survives exec), so measured commands are launched
# by this small helper process, started before the harness loads anything.
SPAWNER = r"""
import json, os, sys, time
devnull = os.open(os.devnull, os.O_WRONLY)
for line in sys.stdin:
    argv = json.loads(line)
    started = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, usage = os.wait4(pid, 0)
    print(json.dumps([time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]), flush=True)
"""
_spawner = None


def start_spawner() -> None:
    global _spawner
    import subprocess

    _spawner = subprocess.Popen([sys.executable, "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def measure(argv: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one process."""
    import json

    _spawner.stdin.write(json.dumps(argv) + "\n")
    _spawner.stdin.flush()
    wall, rss, code = json.loads(_spawner.stdout.readline())
    return wall, rss, code


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(s: dict, unit: str = "s", digits: int = 3) -> str:
    return f"{s['median']:.{digits}f} {unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def scale(runs: int, sizes: list[int], work: Path) -> tuple[list[str], dict]:
    rows, times = [], {}
    for n in sizes:
        spec = synth.write(n, work / f"spec{n}.yaml")
        results = {}
        for name, argv_for in (
            ("validate", lambda i: HITL_GEN + ["validate", str(spec)]),
            ("build -o", lambda i: HITL_GEN + ["build", str(spec), "-o", str(work / f"out{n}-{i}")]),
        ):
            samples = [measure(argv_for(i)) for i in range(runs)]
            assert all(code == 0 for *_, code in samples), f"{name} {n} failed"
            results[name] = samples
        # --check against an output that is up to date
        samples = [measure(HITL_GEN + ["build", str(spec), "-o", str(work / f"out{n}-0"), "--check"]) for _ in range(runs)]
        assert all(code == 0 for *_, code in samples)
        results["build --check (up to date)"] = samples
        for name, samples in results.items():
            wall, rss = stats([s[0] for s in samples]), stats([s[1] for s in samples])
            times[(name, n)] = wall["median"]
            times[(name, n, "rss")] = rss["median"]
            rows.append(f"| {name} | {n} | {fmt(wall)} | {rss['median']:.0f} MB ({rss['min']:.0f}–{rss['max']:.0f}) |")
        # Outputs stay until the end: on ext4 without a journal, creating files soon after
        # deleting thousands is several times slower (the allocator skips inodes freed in
        # the last 30 s), which would time this disk's clean-up, not the next build.
    return rows, times


def large(runs: int, work: Path) -> tuple[list[str], dict]:
    """Issue 15's ratios, each as interleaved pairs in one run: an up-to-date `--check`
    of 1 000 handoffs against the bare imports, and `--into` a large bot (large_bot.py:
    2 000 flows, 20 000 content elements, a fresh copy each run) against a plain `-o`
    build of the same spec into a fresh folder."""
    spec = synth.write(1000, work / "large-spec.yaml")
    checked = work / "large-checked"
    assert measure(HITL_GEN + ["build", str(spec), "-o", str(checked)])[2] == 0
    bot = large_bot.write(work / "large-bot")
    copies = []
    for i in range(runs):
        copies.append(work / f"large-bot-{i}" / "data" / "bots" / bot.name)
        shutil.copytree(bot, copies[-1])
    pairs = {
        "up-to-date `build --check`, 1 000 handoffs / `python3 -c \"import jinja2, yaml, jsonschema\"`": (
            lambda i: HITL_GEN + ["build", str(spec), "-o", str(checked), "--check"],
            lambda i: [sys.executable, "-c", "import jinja2, yaml, jsonschema"], 2.0),
        "`build --into` a large bot / `build -o` a fresh folder (1 000 handoffs)": (
            lambda i: HITL_GEN + ["build", str(spec), "--into", str(copies[i])],
            lambda i: HITL_GEN + ["build", str(spec), "-o", str(work / f"large-plain-{i}")], 2.0),
    }
    rows, ratios = [], {}
    for label, (ours, baseline, target) in pairs.items():
        a, b = [], []
        for i in range(runs):
            a.append(measure(ours(i)))
            b.append(measure(baseline(i)))
            assert a[-1][2] == 0 and b[-1][2] == 0, label
        ratio = stats([x[0] / y[0] for x, y in zip(a, b)])
        ratios[label] = ratio["median"]
        verdict = "met" if ratio["median"] <= target else "MISSED"
        rows.append(f"| {label} | {fmt(stats([x[0] for x in a]))}, {statistics.median(x[1] for x in a):.0f} MB | "
                    f"{fmt(stats([y[0] for y in b]))} | {fmt(ratio, 'x', 2)} | ≤ {target}x: {verdict} |")
    return rows, ratios


def startup(runs: int, work: Path) -> list[str]:
    """Interleaved A/B pairs so load on the machine hits both sides alike."""
    example = REPO / "examples" / "minimal-hitl.yaml"
    pairs = {
        "`hitl-gen --version` / `python3 -c pass`": (lambda i: HITL_GEN + ["--version"], lambda i: [sys.executable, "-c", "pass"], 1.5),
        "`hitl-gen build` minimal example / `python3 -c \"import jinja2, yaml, jsonschema\"`": (
            lambda i: HITL_GEN + ["build", str(example), "-o", str(work / f"startup-{i}")],
            lambda i: [sys.executable, "-c", "import jinja2, yaml, jsonschema"], 1.6),
    }
    rows = []
    for label, (ours, baseline, target) in pairs.items():
        a, b = [], []
        for i in range(runs):
            a.append(measure(ours(i))[0])
            b.append(measure(baseline(i))[0])
        ratio = stats([x / y for x, y in zip(a, b)])
        verdict = "met" if ratio["median"] <= target else "MISSED"
        rows.append(f"| {label} | {fmt(stats(a))} | {fmt(stats(b))} | {fmt(ratio, 'x', 2)} | ≤ {target}x: {verdict} |")
    return rows


def runtime_cost(runs: int, work: Path) -> list[str]:
    """One generated handoff against the forum's recipe (log in, then pause), in the
    Botpress-faithful runtime against the emulator, side by side."""
    from support.build import action, build
    from support.emulator import HitlEmulator
    from support.events import api_context, incoming
    from support.node_runtime import NodeRuntime, install_beside
    from support.smtp_sink import SmtpSink

    runtime = NodeRuntime()
    out = build(REPO / "examples" / "bilingual-alerts.yaml", work / "runtime-out")
    install_beside(out / "data/bots/support-bot/actions", "nodemailer")
    recipe = REPO / "tests" / "fixtures" / "actions" / "forum_recipe.js"
    emulator, sink = HitlEmulator().start(), SmtpSink().start()
    try:
        rows = []
        measured = {"generated pause (`hitl-gen/pause`)": [], "forum recipe (login + pause)": [],
                    "generated talk-to-agent (name, pause, e-mail + webhook)": []}
        counts = {}
        for i in range(runs):
            emulator.sessions.clear()
            emulator.incoming("support-bot", "web", "u1", "1")
            env = {"EXPOSED_SMTP_URL": sink.url, "EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack",
                   "EXPOSED_BP_URL": emulator.url, "EXPOSED_BP_EMAIL": "admin@example.com",
                   "EXPOSED_BP_PASSWORD": emulator.accounts["admin@example.com"]}
            for label, file in (("generated pause (`hitl-gen/pause`)", action(out, "support-bot", "hitl-gen/pause")),
                                ("forum recipe (login + pause)", recipe),
                                ("generated talk-to-agent (name, pause, e-mail + webhook)", action(out, "support-bot", "hitl-gen/talk_to_agent/start"))):
                before = len(emulator.requests)
                result = runtime.run_action(file, incoming("support-bot", "u1", "1", user={"first_name": "A", "last_name": "B"}),
                                            dataDir=str(out / "data"), **api_context(emulator, env=env))
                assert result["record"]["error"] is None, result["record"]
                measured[label].append(result["record"]["durationMs"] / 1000)
                requests = emulator.requests[before:]
                counts[label] = (sum(1 for r in requests if "/mod/hitl/" in r.path or "/auth/" in r.path), len(requests))
        baseline = statistics.median(measured["forum recipe (login + pause)"])
        for label, values in measured.items():
            hitl_requests, all_requests = counts[label]
            rows.append(f"| {label} | {hitl_requests} | {all_requests} | {fmt(stats(values))} | {statistics.median(values) / baseline:.2f}x |")
        return rows
    finally:
        emulator.stop()
        sink.stop()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sizes 10 and 100 only")
    args = parser.parse_args()
    start_spawner()
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Start-up first: after the scale runs the disk is still writing back thousands of files.
        startup_rows = startup(max(args.runs, 15), work)
        runtime_rows = runtime_cost(args.runs, work)
        scale_rows, times = scale(args.runs, sizes, work)
        large_rows, _ = large(args.runs, work) if 1000 in sizes else ([], {})
    lines = [
        "# Benchmark results", "",
        f"- date: {date.today().isoformat()}", f"- machine: {machine()}",
        f"- command: `{Path(sys.executable).name} benchmarks/run.py --runs {args.runs}{' --quick' if args.quick else ''}`",
        f"- each figure: median of {args.runs} runs (min–max); processes timed from start to exit, peak RSS from wait4", "",
        "## 1. Scale (synthetic specs: every step kind, two languages)", "",
        "| command | handoffs | wall time | peak memory |", "| --- | --- | --- | --- |", *scale_rows, "",
    ]
    if 1000 in sizes:
        ratio = times[("build -o", 1000)] / times[("build -o", 100)]
        rss = times[("build -o", 1000, "rss")]
        lines += [
            f"- build of 1 000 handoffs: {times[('build -o', 1000)]:.2f} s (target < 3 s: {'met' if times[('build -o', 1000)] < 3 else 'MISSED'}), "
            f"peak memory {rss:.0f} MB (target < 250 MB: {'met' if rss < 250 else 'MISSED'})",
            f"- `--check` of 1 000 up-to-date handoffs: {times[('build --check (up to date)', 1000)]:.2f} s "
            f"(target < 1 s: {'met' if times[('build --check (up to date)', 1000)] < 1 else 'MISSED'})",
            f"- time(1 000) / time(100) for build: {ratio:.1f} (target ≤ 12: {'met' if ratio <= 12 else 'MISSED'})", "",
            f"### Large builds, side by side ({args.runs} interleaved pairs, ratio per pair; after the scale runs)", "",
            "| comparison | hitl-gen (time, peak memory) | baseline | ratio | target |", "| --- | --- | --- | --- | --- |",
            *large_rows, "",
        ]
    lines += [f"## 2. Start-up ({max(args.runs, 15)} interleaved pairs, ratio per pair; measured before the scale runs)", "",
              "| comparison | hitl-gen | baseline | ratio | target |", "| --- | --- | --- | --- | --- |", *startup_rows, "",
              "## 3. Run-time cost of one handoff (Node runtime vs HITL emulator, same run)", "",
              "| action | HITL/auth requests | all requests | action time | vs recipe |", "| --- | --- | --- | --- | --- |",
              *runtime_rows, ""]
    results = REPO / "benchmarks" / "RESULTS.md"
    from sections import kept_sections  # the sections load.py and size.py own: kept as they are
    kept = kept_sections(results.read_text(encoding="utf-8")) if results.is_file() else ""
    results.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
