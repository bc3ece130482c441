"""A wheel built from the checkout ships the package's data (templates, the Botpress
table, skill formats, the base schema) with no packaging glue: the installed
`hitl-gen`, run from an unrelated directory, builds an example."""

import subprocess
import sys
import venv

from conftest import REPO


def test_the_wheel_works_from_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)], check=True)
    [wheel] = dist.glob("hitl_gen-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    example = REPO / "examples" / "bilingual-alerts.yaml"
    done = subprocess.run([str(env_dir / "bin" / "hitl-gen"), "build", str(example), "-o", "out"],
                          cwd=elsewhere, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "out" / "data/bots/support-bot/actions/hitl-gen/talk_to_agent/start.js").is_file()
    schema = subprocess.run([str(env_dir / "bin" / "hitl-gen"), "schema"], cwd=elsewhere, capture_output=True, text=True)
    assert schema.returncode == 0
    assert schema.stdout == (REPO / "schemas" / "hitl-gen.schema.json").read_text(encoding="utf-8")
    listing = subprocess.run([sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True).stdout
    for data in ("hitl_gen/templates/action.js.j2", "hitl_gen/templates/runtime.js.j2", "hitl_gen/templates/lib/context.js", "hitl_gen/botpress/v12.json",
                 "hitl_gen/botpress/skills/CallAPI.json", "hitl_gen/spec/schema.json", "hitl_gen/spec/starter.yaml"):
        assert data in listing
