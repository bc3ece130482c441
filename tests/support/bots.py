"""Copies of the real sample bots for install tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "botpress12" / "samples"


def sample_bot(dest: Path, name: str, languages: list[str] | None = None) -> Path:
    """The welcome-bot sample as data/bots/<name>; with `languages`, set as the Admin
    would when a language is added to the bot."""
    bot_dir = dest / "data" / "bots" / name
    shutil.copytree(SAMPLES / "welcome-bot", bot_dir)
    if languages:
        config_file = bot_dir / "bot.config.json"
        config = json.loads(config_file.read_text(encoding="utf-8"))
        config["languages"] = languages
        config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return bot_dir


def spec_languages(spec: Path) -> list[str]:
    import yaml

    return yaml.safe_load(spec.read_text(encoding="utf-8"))["target"]["languages"]
