"""Hostile specs against `hitl-gen validate`: exit code, wall time and peak memory.

    .venv/bin/python benchmarks/hostile_input.py

Each case runs in its own process (the installed `hitl-gen`), capped at 20 s and 2 GiB
of address space so a regression cannot take the machine down; peak RSS comes from
wait4. The goal (issue 16): every hostile case exits 2 with one located line, in under
a second and under 100 MB. Measured here, not asserted in tests: timings depend on the
machine. The last row is the largest honest spec the other benchmarks use, for scale.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402
from sections import Section  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = Section("hostile_input.py", 6)

TIMEOUT_S = 20
ADDRESS_SPACE = 2 * 1024 ** 3
VALID = ('version: 1\ntarget: {botpress: "12.22.1", bot: support-bot, module: hitl, languages: [en]}\n'
         "handoffs:\n  - id: a\n    trigger: {keywords: [agent]}\n    say: Hi\n    on_failure: {say: Sorry}\n")


def alias_bomb(levels: int) -> str:
    """The classic "billion laughs": each anchor a list of 9 aliases of the one before."""
    lines = ["a: &a [l,l,l,l,l,l,l,l,l]"]
    names = "abcdefghij"
    for prev, name in zip(names, names[1:levels + 1]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def cases(folder: Path) -> list[tuple[str, str]]:
    """(name, path) of each input, written into `folder`."""
    texts = {
        "alias bomb, 6 levels": alias_bomb(6),
        "alias bomb, 9 levels": alias_bomb(9),
        "100 000 nested [": "a: " + "[" * 100_000 + "\n",
        "3 000 nested block mappings": "".join(" " * i + f"k{i}:\n" for i in range(3000)),
        "3 000 nested flow mappings": "a: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "alias that contains itself": "a: &a [1, *a]\n",
        "raw control character": VALID.replace("say: Hi", "say: Hi\x07"),
        "5 000-digit integer": VALID + "    priority: " + "9" * 5000 + "\n",
        "4 MB list of 2 million zeros": "a: [" + "0," * 2_000_000 + "0]\n",
        "50 MB spec": "a: '" + "x" * (50 * 1024 * 1024) + "'\n",
    }
    out = []
    for name, text in texts.items():
        path = folder / f"{len(out):02d}.yaml"
        path.write_text(text, encoding="utf-8")
        out.append((name, str(path)))
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    out += [("/dev/zero", "/dev/zero"), ("FIFO without a writer", str(fifo))]
    out.append(("(scale) honest spec, 1 000 handoffs", str(synth.write(1000, folder / "synth1000.yaml"))))
    return out


def hitl_gen() -> list[str]:
    installed = REPO / ".venv" / "bin" / "hitl-gen"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "hitl_gen"]


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(path: str) -> tuple[str, float, float, str]:
    """(exit, seconds, peak RSS in MB, first line of stderr) of `hitl-gen validate path`."""
    start = time.monotonic()
    proc = subprocess.Popen(hitl_gen() + ["validate", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_cap, start_new_session=True)
    os.set_blocking(proc.stderr.fileno(), False)
    err = b""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        err += proc.stderr.read() or b""
        if pid:
            break
        if time.monotonic() - start > TIMEOUT_S:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            return f"killed after {TIMEOUT_S} s", time.monotonic() - start, usage.ru_maxrss / 1024, ""
        time.sleep(0.005)
    err += proc.stderr.read() or b""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    line = err.decode("utf-8", "replace").splitlines()[0] if err else ""
    return str(code), time.monotonic() - start, usage.ru_maxrss / 1024, line


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hitl-gen-hostile-") as tmp:
        rows = [(name, *run(path)) for name, path in cases(Path(tmp))]
        lines = [f"## 6. Hostile input ({date.today().isoformat()})", "",
                 "- command: `python benchmarks/hostile_input.py`; each case `hitl-gen validate` in its own process",
                 "", "| case | exit | seconds | peak RSS (MB) | first line of the error |", "| --- | --- | --- | --- | --- |"]
        for name, code, seconds, rss, line in rows:
            shown = line.replace(tmp + "/", "").replace("|", "\\|")
            shown = shown if len(shown) <= 110 else shown[:107] + "..."
            lines.append(f"| {name} | {code} | {seconds:.2f} | {rss:.0f} | {shown} |")
        hostile = [row for row in rows if not row[0].startswith("(scale)")]
        met = all(code == "2" and seconds < 1 and rss < 100 and line for _, code, seconds, rss, line in hostile)
        lines.append(f"\nEvery hostile case exits 2 with one line, under 1 s and 100 MB: {'yes' if met else 'NO'}")
        text = "\n".join(lines)
        RESULTS.write_text(SECTION.splice(RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else "", text), encoding="utf-8")
        print(text)
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
