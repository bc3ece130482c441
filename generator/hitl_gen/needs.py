"""What a server needs before `deploy` imports anything: doctor's checks in order
(server, login, bot, module routes, version), then what INSTALL.md asks of the server.
Checked where the API can tell; where it cannot (the server's environment), said as a
TODO with the fix rather than pretended.

Seen on a real 12.22.1: the basic-skills module ships nodemailer and Botpress puts every
loaded module's node_modules on the actions' require path, so with basic-skills enabled
an action finds nodemailer without installing it. Without basic-skills, a copy inside
the bot works with file storage only: with BPFS_STORAGE=database the bot's files live in
the database and require() reads the server's disk.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen import channels, live
from hitl_gen.admin import AdminClient
from hitl_gen.credentials import TokenCache
from hitl_gen.spec.model import Spec


class Need(NamedTuple):
    state: str   # OK | WARN (goes on; fix it) | FAIL (deploy stops) | TODO (the API cannot show it: do it where the server runs)
    name: str
    detail: str


def preflight(connection: live.Connection, client: AdminClient, *, email: str | None, password: str | None,
              cache: TokenCache) -> list[Need]:
    checks = live.doctor(connection, client, email=email, password=password, cache=cache)
    return [Need(c.state, c.name, c.detail) for c in checks]


def server_needs(spec: Spec, client: AdminClient, bot: str, bot_files: dict[str, bytes]) -> list[Need]:
    from hitl_gen.render.install_doc import required_env

    database = client.database_storage()
    storage = {True: "the bots are in the server's database (BPFS_STORAGE=database)", False: "the bots are files on the "
               "server's disk", None: "unknown (only a super admin may ask)"}[database]
    needs = [Need("OK", "storage", storage)]
    for name, holds in required_env(spec):
        needs.append(Need("TODO", f"variable {name}", f"set {name} ({holds}) where Botpress runs, then restart it; "
                                                      "the API does not show the server's environment"))
    if any("nodemailer" in channels.of(alert).npm_packages(alert) for h in spec.handoffs for alert in h.alerts):
        needs.append(_nodemailer(client, bot_files, database, f"data/bots/{bot}/actions/{spec.target.namespace}"))
    return needs


def _nodemailer(client: AdminClient, bot_files: dict[str, bytes], database: bool | None, actions_dir: str) -> Need:
    if "basic-skills" in (client.loaded_modules() or ()):
        return Need("OK", "nodemailer", "the basic-skills module is loaded, and Botpress gives actions its nodemailer")
    own = any(path.startswith("actions/node_modules/nodemailer/") for path in bot_files)
    if own and database is False:
        return Need("OK", "nodemailer", "the bot has its own copy (actions/node_modules/nodemailer)")
    where = ("on the server's disk, since the bot's own files are in the database: " if database is not False else "")
    return Need("TODO", "nodemailer", f"e-mail over SMTP needs nodemailer {where}enable the basic-skills module, or run "
                                      f"`npm install nodemailer@6` in {actions_dir} where Botpress runs "
                                      "(INSTALL.md, step 4)")
