"""Where a build goes: an output folder, an existing bot folder, or a bot archive.

Plan paths are logical (`data/bots/<bot>/...`, `data/global/...`, `INSTALL.md`); a
Destination maps them onto disk and knows where its manifest lives.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from hitl_gen import __version__, output
from hitl_gen.botpress import layout
from hitl_gen.errors import UsageError
from hitl_gen.render.plan import ExistingBot, Plan, build_plan
from hitl_gen.resources import PACKAGE_DIR, data_files
from hitl_gen.spec.model import Spec


class Destination(NamedTuple):
    root: Path                  # where data/ lives (for -o) or the bot folder (for --into)
    bot_prefix: PurePosixPath   # the logical prefix that maps onto bot_dir
    bot_dir: Path
    global_dir: Path | None     # data/global, when reachable
    manifest: Path
    into_bot: bool              # an existing bot (--into), rather than an output folder

    def locate(self, logical: PurePosixPath) -> Path:
        if logical.is_relative_to(self.bot_prefix):
            return self.bot_dir / logical.relative_to(self.bot_prefix)
        if logical.is_relative_to("data/global"):
            if self.global_dir is None:
                raise UsageError(f"{self.bot_dir}:1:1: target.actions: global actions go to data/global, which is not beside "
                                 "this bot folder; use -o OUT, or `actions: bot` in the spec")
            return self.global_dir / logical.relative_to("data/global")
        return self.root / logical


def output_folder(out: Path, bot: str) -> Destination:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}:1:1: build: the output path is a file, not a folder; pick a folder")
    prefix = layout.bot_dir(bot)
    return Destination(out, prefix, out / prefix, out / "data" / "global", out / output.MANIFEST, False)


def bot_folder(bot_dir: Path, bot: str) -> Destination:
    if not (bot_dir / "bot.config.json").is_file():
        raise UsageError(f"{bot_dir}:1:1: --into: not a Botpress bot folder (no bot.config.json); "
                         f"give the path of data/bots/{bot}")
    if bot_dir.resolve().name != bot:
        raise UsageError(f"{bot_dir}:1:1: --into: the folder is bot {bot_dir.resolve().name!r} but target.bot is "
                         f"{bot!r}; install into data/bots/{bot} or change target.bot")
    parent = bot_dir.resolve().parent
    global_dir = parent.parent / "global" if parent.name == "bots" else None
    return Destination(bot_dir, layout.bot_dir(bot), bot_dir, global_dir, bot_dir / output.MANIFEST, True)


@cache
def _templates_fingerprint() -> str:
    """hitl-gen itself: its version, its Python code and its templates, so any change
    to how files are rendered makes earlier builds look out of date."""
    digest = hashlib.sha256(__version__.encode())
    for path in data_files():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs(spec_path: Path, destination: Destination, bot: str) -> dict:
    """What a build is made from: the spec's bytes, hitl-gen and its templates, and where it goes."""
    digest = hashlib.sha256(_templates_fingerprint().encode())
    digest.update(spec_path.read_bytes())
    digest.update(b"bot folder" if destination.into_bot else b"output folder")
    return {"fingerprint": digest.hexdigest(), "bot": bot}


def unchanged_since_last_build(spec_path: Path, folder: Path, destination_for) -> bool:
    """True when the same spec was built into `folder` by this hitl-gen and nothing was
    touched since: rendering again would reproduce the same bytes, so it can be skipped.
    `destination_for(bot)` makes the destination for the bot the manifest names."""
    manifest = output.Manifest.read(folder / output.MANIFEST)
    bot = manifest.inputs.get("bot")
    if not bot:
        return False
    try:
        destination = destination_for(bot)
        same = manifest.inputs == inputs(spec_path, destination, bot)
    except (OSError, UsageError):
        return False
    return same and manifest.still_on_disk(destination.locate)


def _bot_languages(destination: Destination) -> list[str] | None:
    """The languages bot.config.json lists (its default one when it lists none); None
    when the file cannot be read, which the bot folder check reports on its own."""
    try:
        config = json.loads((destination.bot_dir / "bot.config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config.get("languages") or [config.get("defaultLanguage", "en")]


def check_bot_languages(spec: Spec, destination: Destination) -> None:
    """Content elements are written in the spec's languages: a bot language the spec
    lacks would show its users "missing translation". The reverse is fine, and usual:
    Botpress Community allows one language per bot, and texts follow user.language."""
    missing = [lang for lang in _bot_languages(destination) or () if lang not in spec.target.languages]
    if missing:
        raise UsageError(f"{destination.bot_dir / 'bot.config.json'}:1:1: languages: the bot speaks {', '.join(missing)}, "
                         f"which the spec does not have (target.languages: {', '.join(spec.target.languages)}); "
                         f"add {', '.join(missing)} to target.languages and give every text in it")


def language_notes(spec: Spec, destination: Destination) -> list[str]:
    """What a user should know before installing a multilingual spec into a bot that
    lists fewer languages (the Community edition's one)."""
    bot_languages = _bot_languages(destination)
    extra = [lang for lang in spec.target.languages if bot_languages is not None and lang not in bot_languages]
    if not extra:
        return []
    return [f"the bot lists {', '.join(bot_languages)} only; users whose language is {', '.join(extra)} still get those texts "
            "(chosen by user.language). Botpress Community allows one language per bot; with Pro, add them in the Admin."]


def plan_for(spec: Spec, destination: Destination) -> tuple[Plan, output.Manifest, list[output.Change]]:
    """Render in memory against what the destination holds, and compare."""
    if destination.into_bot:
        check_bot_languages(spec, destination)
    manifest = output.Manifest.read(destination.manifest)
    existing = ExistingBot.read(destination.bot_dir, manifest.elements, set(manifest.files))
    plan = build_plan(spec, existing, install_doc_file=not destination.into_bot)
    located = [output.Located(f, destination.locate(f.path)) for f in plan.files]
    return plan, manifest, output.compare(located, manifest)


def write_archive(spec: Spec, archive: Path, base: Path | None) -> int:
    """A bot archive the Admin can import: the base export (if any) with the files installed."""
    import tempfile

    if spec.target.actions_scope == "global":
        raise UsageError(f"{spec.source}:1:1: target.actions: a bot archive cannot carry global actions; use `actions: bot` or -o OUT")
    with tempfile.TemporaryDirectory() as tmp:
        bot_dir = Path(tmp) / spec.target.bot
        bot_dir.mkdir()
        if base is not None:
            _extract(base, bot_dir)
        else:
            config = {"id": spec.target.bot, "name": spec.target.bot, "defaultLanguage": spec.target.languages[0],
                      "languages": list(spec.target.languages), "imports": {"modules": [], "incomingMiddleware": [], "outgoingMiddleware": []}}
            (bot_dir / "bot.config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        destination = bot_folder(bot_dir, spec.target.bot)
        plan, manifest, changes = plan_for(spec, destination)
        written = output.apply(changes, manifest, plan.elements, force=False)
        output.write_atomic(archive, _tgz(bot_dir))
        return len(written)


def _extract(base: Path, into: Path) -> None:
    import tarfile

    try:
        with tarfile.open(base, "r:gz") as tar:
            for member in tar.getmembers():
                target = (into / member.name).resolve()
                if not target.is_relative_to(into.resolve()) or not (member.isfile() or member.isdir()):
                    raise UsageError(f"{base}:1:1: --base: unsafe entry {member.name!r} in the archive; export the bot again from the Admin")
            tar.extractall(into)
    except (tarfile.TarError, OSError) as err:
        raise UsageError(f"{base}:1:1: --base: cannot read the bot export ({err}); give a .tgz exported from the Botpress Admin") from None


def _tgz(folder: Path) -> bytes:
    """Deterministic archive: sorted entries, no owners, no timestamps."""
    import gzip
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != output.MANIFEST):
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


