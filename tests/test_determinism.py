"""The same spec gives the same bytes in any process. String hashing is seeded per
process (PYTHONHASHSEED), so the order of a set or of a dict built from one can differ
from one run to the next while looking stable inside a single process. Each example is
built in three interpreters with different seeds (0, 12345 and a random one, named in
the failure) as a folder (`-o`, manifest included), as a bot archive and into a copy of
the welcome-bot sample (`--into`), and every file, the archives and what the commands
print are compared byte for byte."""

import os
import random
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import EXAMPLES
from support.bots import sample_bot, spec_languages

# One interpreter per seed builds every example three ways, from its own folder (the
# relative paths make the printed lines comparable too).
SCRIPT = r"""
import sys
from hitl_gen.cli import main

print(hash("hitl-gen"), flush=True)  # proves the seed took effect
for spec, stem, bot in zip(*[iter(sys.argv[1:])] * 3):
    for argv in (["build", spec, "-o", "out/" + stem], ["build", spec, "--archive", "archive/" + stem + ".tgz"],
                 ["build", spec, "--into", "into/" + stem + "/data/bots/" + bot]):
        print("$", *argv[2:], flush=True)
        code = main(argv)
        if code:
            sys.exit(f"{argv}: exit {code}")
"""


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_example_builds_byte_identical_under_any_hash_seed(tmp_path):
    seeds = ["0", "12345", str(random.randint(1, 2**32 - 1))]
    argv = []
    for example in EXAMPLES:
        argv += [str(example), example.stem, yaml.safe_load(example.read_text(encoding="utf-8"))["target"]["bot"]]
    runs = {}
    for seed in seeds:
        work = tmp_path / f"seed-{seed}"
        for example, stem, bot in zip(*[iter(argv)] * 3):
            sample_bot(work / "into" / stem, bot, spec_languages(Path(example)))
        env = {**os.environ, "PYTHONHASHSEED": seed, "XDG_CACHE_HOME": str(work / "cache")}
        runs[seed] = subprocess.Popen([sys.executable, "-c", SCRIPT, *argv], cwd=work, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = {}
    for seed, process in runs.items():
        out, err = process.communicate(timeout=300)
        assert (process.returncode, err) == (0, ""), f"PYTHONHASHSEED={seed}: {err}"
        printed[seed] = out.replace(str(tmp_path / f"seed-{seed}"), "WORK").split("\n", 1)  # should a path be printed whole
    assert len({printed[seed][0] for seed in seeds}) == len(seeds), "the hash seeds did not reach the processes"

    first, *others = seeds
    trees = {seed: {part: _tree(tmp_path / f"seed-{seed}" / part) for part in ("out", "archive", "into")} for seed in seeds}
    reference = trees[first]
    # Everything was really built: a manifest per folder and per bot, an archive per example.
    assert sum(name.endswith("/.hitl-gen-manifest.json") for name in reference["out"]) == len(EXAMPLES)
    assert sum(name.endswith("/hitl-gen-manifest.json") for name in reference["into"]) == len(EXAMPLES)
    assert len(reference["archive"]) == len(EXAMPLES) and len(reference["out"]) > 20 * len(EXAMPLES)
    assert printed[first][1].count("$ ") == 3 * len(EXAMPLES)
    for seed in others:
        for part in ("out", "archive", "into"):
            differing = sorted(name for name in reference[part].keys() | trees[seed][part].keys()
                               if reference[part].get(name) != trees[seed][part].get(name))
            assert differing == [], f"{part}: PYTHONHASHSEED={first} and ={seed} differ in {differing[:5]}"
        assert printed[seed][1] == printed[first][1], f"PYTHONHASHSEED={first} and ={seed} print differently"
