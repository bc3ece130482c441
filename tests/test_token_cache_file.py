"""What `hitl-gen login` leaves on disk, through the command itself (the password is at
hand there, unlike in TokenCache.put): exactly the server's token, its expiry and the
e-mail, private to the user (file 0600, folder 0700) whatever the umask or the mode of a
file already there, the other servers' entries kept, no password; and the next command
uses that very token without logging in again."""

import base64
import json
import os
import stat

import pytest
from support.build import run_cli as run

BOT = "support-bot"
EMAIL = "admin@example.com"
OTHER = "http://other.test:3000"
OTHER_ENTRY = {"jwt": "a.b.c", "expires_at": 4_000_000_000.0, "email": "someone@example.com"}


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def config(monkeypatch, tmp_path, emulator):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", emulator.accounts[EMAIL])
    for name in ("BP_URL", "BP_BOT", "BP_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "hitl-gen" / "tokens.json"


@pytest.fixture
def permissive_umask():
    previous = os.umask(0)  # a file or folder created without an explicit mode would be world-writable
    yield
    os.umask(previous)


def test_login_writes_only_the_token_privately_and_the_next_command_uses_it(config, emulator, permissive_umask, monkeypatch):
    password = emulator.accounts[EMAIL]
    code, out, err = run("login", "--url", emulator.url + "/", "--email", EMAIL)
    assert (code, err) == (0, "")

    raw = config.read_bytes()
    cached = json.loads(raw)
    assert list(cached) == [emulator.url]  # one entry, under the URL without its trailing slash
    entry = cached[emulator.url]
    assert entry["jwt"] in emulator.tokens  # the very token the server issued at this login
    assert entry == {"jwt": entry["jwt"], "expires_at": _claims(entry["jwt"])["exp"], "email": EMAIL}
    assert password.encode() not in raw and b"password" not in raw.lower()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert entry["jwt"] not in out + err and password not in out + err

    monkeypatch.delenv("BP_PASSWORD")  # the next command cannot log in: only the cache can serve it
    emulator.incoming(BOT, "web", "u1", "1")
    logins = sum(r.path.endswith("/login/basic/default") for r in emulator.requests)
    assert run("sessions", "--url", emulator.url, "--bot", BOT)[0] == 0
    [listing] = [r for r in emulator.requests if r.path == f"/api/v1/bots/{BOT}/mod/hitl/sessions"]
    assert listing.headers["authorization"] == f"Bearer {entry['jwt']}"
    assert sum(r.path.endswith("/login/basic/default") for r in emulator.requests) == logins == 1


def test_a_readable_cache_is_made_private_and_keeps_the_other_servers(config, emulator, permissive_umask):
    config.parent.mkdir(parents=True, mode=0o755)
    config.write_text(json.dumps({OTHER: OTHER_ENTRY}))
    config.chmod(0o644)  # left readable by hand, or by an older tool
    assert run("login", "--url", emulator.url, "--email", EMAIL)[0] == 0
    cached = json.loads(config.read_text())
    assert cached[OTHER] == OTHER_ENTRY
    assert sorted(cached) == sorted([OTHER, emulator.url]) and cached[emulator.url]["jwt"] in emulator.tokens
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_logging_in_again_replaces_the_servers_entry(config, emulator):
    config.parent.mkdir(parents=True)
    stale = {"jwt": "stale.token.value", "expires_at": 4_000_000_000.0, "email": "old@example.com"}
    config.write_text(json.dumps({emulator.url: stale}))
    assert run("login", "--url", emulator.url, "--email", EMAIL)[0] == 0
    [(url, entry)] = json.loads(config.read_text()).items()
    assert url == emulator.url and entry["jwt"] in emulator.tokens and entry["email"] == EMAIL
