"""`traction users`: the table's accounts (add, list, disable, passwd, role, token).

The first account is the administrator's, made on a store with none: `traction users add
NAME --role administrator` asks its PIN twice; there is no default PIN. After it, an
administrator acts (--user and the PIN, or a token file) for every change but one's own PIN.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.app.site_config import SiteConfigError, site_config
from controller.cli.identity import EXIT_REFUSED, Pins, add_identity_args, signed_in
from controller.clinic.local_time import local
from controller.people.roles import ORDER, Task, role_of
from controller.people.token_file import write_token
from controller.records import accounts
from controller.records.schema import SchemaError
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import LANGUAGES

EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="the table's accounts: add, list, disable, passwd, role")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    acts = p.add_subparsers(dest="action", required=True)
    add = acts.add_parser("add", help="a new account (the first one: the administrator)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help=" | ".join(r.value for r in ORDER))
    acts.add_parser("list", help="every account, and every change made to one")
    dis = acts.add_parser("disable", help="the account can no longer sign in (never deleted)")
    dis.add_argument("name")
    pw = acts.add_parser("passwd", help="a new PIN: your own, or any (an administrator)")
    pw.add_argument("name")
    role = acts.add_parser("role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", help=" | ".join(r.value for r in ORDER))
    lang = acts.add_parser("language", help="the console's words for a person: yours, or any")
    lang.add_argument("name")
    lang.add_argument("language", help=f"{' | '.join(LANGUAGES)} | site (the site's)")
    tok = acts.add_parser("token", help="a token file for scripts and HIL (mode 600)")
    tok.add_argument("name")
    tok.add_argument("--to", type=Path, required=True, help="the token file to write")
    for action in (add, dis, pw, role, lang, tok):
        add_identity_args(action)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(cli={"records": str(args.records) if args.records else None})
        store = SessionStore(site.records)
    except (SiteConfigError, RecordsError, SchemaError) as exc:
        sys.stderr.write(f"traction users: {exc}\n")
        return EXIT_INVALID
    try:
        return _act(args, store, Pins(args))
    except (accounts.AccountError, ValueError) as exc:
        sys.stderr.write(f"traction users: refused: {exc}\n")
        return EXIT_REFUSED
    finally:
        store.close()


def _act(args: argparse.Namespace, store: SessionStore, pins: Pins) -> int:
    out = sys.stdout.write
    if args.action == "list":
        for r in accounts.users(store):
            state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
            out(
                f"{r['name']:<24} {r['role']:<16} {state:<9} made {local(r['created_at'])} "
                f"by {r['created_by']}\n"
            )
        changes = accounts.account_changes(store)
        if changes:
            out("changes:\n")
        for c in changes:
            out(f"  {local(c['at'])} {c['name']}: {c['change']} (by {c['by']})\n")
        if not accounts.accounts_exist(store):
            out(
                "no administrator yet: the table is open (actions carry a typed name). "
                "Make the first: traction users add NAME --role administrator\n"
            )
        return 0
    if args.action == "add" and not accounts.accounts_exist(store):
        role = role_of(args.role)
        pin = pins.ask(f"new PIN for {args.name}: ", confirm=True)
        made = accounts.add_user(store, args.name, role, pin, by=None)
        out(f"{made.signature}: the first administrator. The table now asks everyone to sign in.\n")
        return 0
    by = signed_in(args, store, pins)
    if args.action == "add":
        role = role_of(args.role)
        by.require(Task.ACCOUNTS)
        made = accounts.add_user(
            store, args.name, role, pins.ask(f"new PIN for {args.name}: ", confirm=True), by=by
        )
        out(f"{made.signature} added by {by.name}\n")
    elif args.action == "disable":
        accounts.disable(store, args.name, by=by)
        out(f"{args.name} disabled by {by.name}: can no longer sign in; kept on the records\n")
    elif args.action == "passwd":
        accounts.set_pin(
            store, args.name, pins.ask(f"new PIN for {args.name}: ", confirm=True), by=by
        )
        out(f"PIN of {args.name} changed by {by.name}; its token files no longer work\n")
    elif args.action == "role":
        role = role_of(args.role)
        accounts.set_role(store, args.name, role, by=by)
        out(f"{args.name} is now {role.value} (changed by {by.name})\n")
    elif args.action == "language":
        chosen = None if args.language == "site" else args.language
        accounts.set_language(store, args.name, chosen, by=by)
        out(
            f"{args.name} reads the console in {LANGUAGES.get(chosen or '', 'the site language')}\n"
        )
    elif args.action == "token":
        write_token(args.to, accounts.issue_token(store, args.name, by=by))
        out(f"token file for {args.name} written to {args.to} (readable by you only)\n")
    return 0
