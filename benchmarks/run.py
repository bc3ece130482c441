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
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402

# the installed console script, as users run it (pip's launcher included)
HITL_GEN = [shutil.which("hitl-gen", path=str(Path(sys.executable).parent)) or "hitl-gen"]


def measure(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode


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
            rows.append(f"| {name} | {n} | {fmt(wall)} | {rss['median']:.0f} MB ({rss['min']:.0f}–{rss['max']:.0f}) |")
        for i in range(runs):
            shutil.rmtree(work / f"out{n}-{i}", ignore_errors=True)
    return rows, times


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
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scale_rows, times = scale(args.runs, sizes, work)
        startup_rows = startup(args.runs, work)
        runtime_rows = runtime_cost(args.runs, work)
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
        lines += [
            f"- build of 1 000 handoffs: {times[('build -o', 1000)]:.2f} s (target < 3 s: {'met' if times[('build -o', 1000)] < 3 else 'MISSED'})",
            f"- `--check` of 1 000 up-to-date handoffs: {times[('build --check (up to date)', 1000)]:.2f} s "
            f"(target < 1 s: {'met' if times[('build --check (up to date)', 1000)] < 1 else 'MISSED'})",
            f"- time(1 000) / time(100) for build: {ratio:.1f} (target ≤ 12: {'met' if ratio <= 12 else 'MISSED'})", "",
        ]
    lines += ["## 2. Start-up (interleaved pairs, ratio per pair)", "",
              "| comparison | hitl-gen | baseline | ratio | target |", "| --- | --- | --- | --- | --- |", *startup_rows, "",
              "## 3. Run-time cost of one handoff (Node runtime vs HITL emulator, same run)", "",
              "| action | HITL/auth requests | all requests | action time | vs recipe |", "| --- | --- | --- | --- | --- |",
              *runtime_rows, ""]
    (REPO / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
