"""What keeps the suite passing on Python 3.10 to 3.13 (pyproject: requires-python >=3.10)
when it is run on one of them: no syntax or standard-library name newer than 3.10 in the
package, and a bot export unpacked with the standard library's own safety filter where
tarfile has it (3.12+, and the 3.10.12+/3.11.4+ security releases), by hand where not."""

import ast
import io
import tarfile
from pathlib import Path

import pytest
from conftest import REPO
from support.build import run_cli as run

OLDEST = (3, 10)
# Standard-library names added after 3.10, as `module.name` (imported from, or used as an attribute of, the module).
NEWER = {"tomllib", "typing.Self", "typing.Never", "typing.LiteralString", "typing.assert_never", "typing.assert_type",
         "typing.reveal_type", "typing.Required", "typing.NotRequired", "typing.TypeVarTuple", "typing.Unpack",
         "typing.dataclass_transform", "typing.override", "typing.TypeAliasType", "enum.StrEnum", "enum.verify",
         "datetime.UTC", "asyncio.TaskGroup", "asyncio.timeout", "hashlib.file_digest", "contextlib.chdir",
         "operator.call", "itertools.batched", "builtins.ExceptionGroup", "builtins.BaseExceptionGroup"}
BUILTINS_NEWER = {name.split(".")[1] for name in NEWER if name.startswith("builtins.")}
SOURCES = sorted((REPO / "generator" / "hitl_gen").rglob("*.py"))


def test_the_oldest_python_is_the_one_pyproject_names():
    assert 'requires-python = ">=3.10"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.relative_to(REPO / "generator").as_posix())
def test_the_package_uses_nothing_newer_than_python_3_10(source):
    text = source.read_text(encoding="utf-8")
    tree = ast.parse(text, str(source), feature_version=OLDEST)  # `except*`, `type X = ...`, `class C[T]` refused
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            used |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in BUILTINS_NEWER:
            used.add(f"builtins.{node.id}")
        elif isinstance(node, ast.TryStar if hasattr(ast, "TryStar") else ()):
            used.add("except*")
    assert sorted(used & (NEWER | {"except*"})) == []


# ---- a bot export unpacked safely ------------------------------------------------------------
def _export(path: Path, *extra: tarfile.TarInfo) -> Path:
    config = b'{"id": "support-bot", "name": "support-bot", "defaultLanguage": "en", "languages": ["en"]}\n'
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("bot.config.json")
        info.size = len(config)
        tar.addfile(info, io.BytesIO(config))
        for member in extra:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return path


def _member(name: str, kind=tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    info.size = 1 if kind == tarfile.REGTYPE else 0
    return info


UNSAFE = {
    "a name climbing out": _member("../evil.txt"),
    "a link out of the bot": _member("flows/link", tarfile.SYMTYPE, "/etc/passwd"),
    "a link climbing out": _member("flows/up", tarfile.SYMTYPE, "../../evil"),
    "a link inside the bot": _member("flows/inside", tarfile.SYMTYPE, "../bot.config.json"),
    "a hard link": _member("flows/hard", tarfile.LNKTYPE, "bot.config.json"),
    "a pipe": _member("flows/pipe", tarfile.FIFOTYPE),
    "a device": _member("flows/dev", tarfile.CHRTYPE),
}


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text("""version: 1
target: {botpress: "12.22.1", bot: support-bot, module: hitl, languages: [en]}
handoffs:
  - {id: desk, trigger: {keywords: [agent]}, say: Hi, on_failure: {say: Sorry}}
""", encoding="utf-8")
    return spec


@pytest.mark.parametrize("with_filter", [True, False], ids=["stdlib-filter", "by-hand"])
@pytest.mark.parametrize("kind", list(UNSAFE))
def test_an_export_with_anything_but_files_and_folders_is_refused_before_the_archive_is_written(
        kind, with_filter, tmp_path, monkeypatch):
    if with_filter and not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python's tarfile has no safety filter")  # only before 3.10.12 / 3.11.4
    if not with_filter:  # the Python without the filter: the hand check refuses before extracting anything
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    member = UNSAFE[kind]
    base = _export(tmp_path / "export.tgz", member)
    archive = tmp_path / "out" / "bot.tgz"
    code, out, err = run("build", _spec(tmp_path), "--archive", archive, "--base", base)
    assert (code, out, err) == (2, "", f"{base}: --base: unsafe entry {member.name!r} in the archive; "
                                       "export the bot again from the Admin\n")
    assert not archive.exists() and not (tmp_path / "evil.txt").exists() and not (tmp_path / "evil").exists()


def test_a_plain_export_is_unpacked_with_its_files(tmp_path):
    base = _export(tmp_path / "export.tgz", _member("flows/mine.flow.json"), _member("/abs/x.json"))
    archive = tmp_path / "bot.tgz"
    code, _, err = run("build", _spec(tmp_path), "--archive", archive, "--base", base)
    if hasattr(tarfile, "data_filter"):  # the filter takes the leading slash off: the file stays inside the bot
        assert (code, err) == (0, "")
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert "flows/mine.flow.json" in names and "abs/x.json" in names and "bot.config.json" in names
    else:  # by hand, a name that would leave the bot is refused
        assert code == 2 and "unsafe entry '/abs/x.json'" in err
    assert not Path("/abs/x.json").exists()
