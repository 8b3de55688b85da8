"""`bespoke`: the one entry point (run the bot, train, list orders, check the catalog)."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import List, Optional

from bot.settings import Settings, SettingsError


def _check_catalog(path: Path) -> None:
    from bot.core.catalog import load_catalog

    catalog = load_catalog(path)
    print(f"bespoke: catalog {path}: {len(catalog.products)} products "
          f"({', '.join(p.id for p in catalog.products)})", flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import ensure_model, rasa_token_file, serve

    # The action server checks the catalog as it starts (in parallel with Rasa loading);
    # a malformed catalog stops everything with the error.
    settings = Settings.from_env()  # a malformed setting stops the run before anything starts
    model = ensure_model(force=False) if not args.no_train else None
    if model is None:
        from bot.runner import model_path

        model = model_path(settings.models_dir)
        if not model.exists():
            print(f"bespoke: no trained model at {model}; run `bespoke train` first", file=sys.stderr)
            return 2
    from sqlalchemy.engine import make_url

    from bot.runner import secure_data
    from bot.store.orders import OrderStore
    from bot.staff.accounts import StaffAccounts

    production = args.profile == "production"
    if production:
        from bot.scale.profile import prepare_production

        nginx = prepare_production(settings)  # its checks, and the PostgreSQL databases made when missing
    secure_data(settings)  # 0700 / 0600, umask 077, before the database is made
    # Migrated once here, before the servers that use the database start side by side.
    store = OrderStore(settings.database_url)
    store.migrate()
    staff_hint = "" if StaffAccounts(store).any_account() else "  (no staff account yet: `bespoke staff add NAME`)"
    store.dispose()
    rasa = f"http://127.0.0.1:{settings.rasa_port}"
    if production:
        from bot.scale.profile import serve_production
        from bot.staff.kit import secret_key

        secret_key(settings)  # made once here, not by K web servers at once
        print(f"bespoke: starting the production profile: {settings.rasa_servers} Rasa, {settings.action_servers} "
              f"action and {settings.web_servers} web servers behind nginx; Ctrl-C stops everything.", flush=True)
        ready_text = (
            f"  web chat:  http://{settings.host}:{settings.web_port}/  (nginx)\n"
            f"  staff:     http://{settings.host}:{settings.web_port}/staff/{staff_hint}\n"
            f"  REST:      POST {rasa}/webhooks/rest/webhook?token=TOKEN  (nginx, this machine only; TOKEN is in "
            f"{rasa_token_file(settings)})\n"
            f"  orders:    {make_url(settings.database_url).render_as_string(hide_password=True)}"
        )
        return serve_production(settings, model, nginx, ready_text=ready_text)
    print("bespoke: starting the action server, Rasa and the web chat; Ctrl-C stops everything.", flush=True)
    ready_text = (
        f"  web chat:  http://{settings.host}:{settings.web_port}/\n"
        f"  staff:     http://{settings.host}:{settings.web_port}/staff/{staff_hint}\n"
        f"  REST:      POST {rasa}/webhooks/rest/webhook?token=TOKEN  {{\"sender\": \"me\", \"message\": \"hi\"}}"
        f" (this machine only; TOKEN is in {rasa_token_file(settings)})\n"
        f"  orders:    {make_url(settings.database_url).render_as_string(hide_password=True)}"
    )
    return serve(settings, model, ready_text=ready_text)


def cmd_migrate(args: argparse.Namespace) -> int:
    """The order database's migrations, once, before the servers start (a deployment's
    one-off job: deploy/compose.yaml, deploy/k8s/)."""
    from bot.store.orders import OrderStore

    settings = Settings.from_env()
    if args.create_database:
        from bot.scale.profile import ensure_database

        ensure_database(settings.database_url)
    store = OrderStore(settings.database_url)
    store.migrate()
    store.dispose()
    from sqlalchemy.engine import make_url

    print(f"bespoke: {make_url(settings.database_url).render_as_string(hide_password=True)} is migrated", flush=True)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from bot.runner import ensure_model

    print(ensure_model(force=args.force))
    return 0


def terminal_safe(text: str) -> str:
    """Text for the staff's terminal: control and format characters (ESC, CSI, a bidi
    override) written as escapes, so what a customer typed can never move the cursor,
    recolour or rewrite the screen; everything else as it is."""
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
                   else f"\\u{ord(ch):04x}" for ch in text)


def cmd_orders(args: argparse.Namespace) -> int:
    from bot.store.orders import OrderStore

    store = OrderStore(Settings.from_env().database_url)
    store.migrate()
    orders = store.all_orders()
    if args.json:
        # Valid JSON either way: the escapes terminal_safe writes are JSON's own.
        sys.stdout.write(terminal_safe(json.dumps(orders, indent=2, ensure_ascii=False)) + "\n")
        return 0
    if not orders:
        print("No orders yet.")
    for order in orders:
        total = f"{order['total']} {order['currency']}" if order["total"] is not None else "quote request"
        print(terminal_safe(f"{order['number']}  {order['created_at'][:16]}  {order['status']:<10} "
                            f"{order['product_name']:<24} {total:>14}  {order['customer_name']} "
                            f"<{order['customer_email']}>").replace("\n", " "))
    return 0


def _staff_accounts():
    from bot.store.orders import OrderStore
    from bot.staff.accounts import StaffAccounts

    store = OrderStore(Settings.from_env().database_url)
    store.migrate()
    return StaffAccounts(store)


def _new_password(args: argparse.Namespace) -> str:
    """From standard input with --password-stdin (scripts), else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    password = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Password again: ") != password:
        raise StaffCommandError("the two passwords differ; nothing was changed")
    return password


class StaffCommandError(Exception):
    pass


def cmd_staff(args: argparse.Namespace) -> int:
    from bot.staff.accounts import StaffError, check_name

    accounts = _staff_accounts()
    try:
        if args.staff_command == "add":
            name = check_name(args.name)
            accounts.add(name, _new_password(args))
            print(f"bespoke: staff account {name!r} created; sign in at /staff/ on the web server")
        elif args.staff_command == "password":
            accounts.set_password(args.name, _new_password(args))
            print(f"bespoke: password of {args.name!r} changed")
        elif args.staff_command == "disable":
            accounts.disable(args.name)
            print(f"bespoke: staff account {args.name!r} disabled (it cannot sign in; its API tokens stop working)")
        elif args.staff_command == "list":
            names = accounts.names()
            if not names:
                print("No staff accounts yet: `bespoke staff add NAME` creates one.")
            for account in names:
                state = "disabled" if account["disabled"] else "active"
                print(f"{account['name']:<24} {state:<9} since {account['created_at']:%Y-%m-%d}")
        elif args.staff_command == "token":
            token = accounts.create_token(args.name)
            print(token)
            print(f"bespoke: API token for {args.name!r}: send it as `Authorization: Bearer <token>`. "
                  "It is shown only now; `bespoke staff revoke ID` ends it.", file=sys.stderr)
        elif args.staff_command == "tokens":
            for info in accounts.tokens(args.name):
                state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
                used = f"last used {info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never used"
                print(f"{info.id:>4}  {info.staff:<20} {info.hint}...  {state:<18} {used}")
        elif args.staff_command == "revoke":
            info = accounts.revoke_token(args.token_id)
            print(f"bespoke: API token {info.id} ({info.hint}..., {info.staff}) revoked")
    except (StaffError, StaffCommandError) as error:
        print(f"bespoke: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_check_catalog(args: argparse.Namespace) -> int:
    _check_catalog(Path(args.path) if args.path else Settings.from_env().catalog_path)
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    """Chat in the terminal: the action server in the background, `rasa shell` in front."""
    import subprocess

    from bot.runner import ROOT, ensure_model, process_env, secure_data

    settings = Settings.from_env()
    secure_data(settings)
    _check_catalog(settings.catalog_path)
    model = ensure_model()
    env = process_env(settings, model)
    actions = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--port", str(settings.actions_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        return subprocess.call(
            [sys.executable, "-m", "rasa", "shell", "--model", str(model), "--endpoints", env["BESPOKE_ENDPOINTS"]],
            cwd=ROOT, env=env,
        )
    finally:
        actions.terminate()
        actions.wait(timeout=30)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bespoke", description="Bespoke: a catalog-driven order-taking chatbot.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="train if needed, then start the action server and Rasa (REST)")
    run.add_argument("--no-train", action="store_true", help="use the model trained for the current data; fail if missing")
    run.add_argument("--profile", choices=("default", "production"), default="default",
                     help="default: one of each server on SQLite; production: several behind nginx over "
                          "PostgreSQL and Redis (docs/scaling.md)")
    run.set_defaults(func=cmd_run)

    migrate = commands.add_parser("migrate", help="run the order database's migrations (once per deployment)")
    migrate.add_argument("--create-database", action="store_true",
                         help="create the PostgreSQL database first when it is missing")
    migrate.set_defaults(func=cmd_migrate)

    train = commands.add_parser("train", help="train the model when data, domain or config changed")
    train.add_argument("--force", action="store_true", help="train even if a model for this data exists")
    train.set_defaults(func=cmd_train)

    orders = commands.add_parser("orders", help="list stored orders")
    orders.add_argument("--json", action="store_true", help="print all orders as a JSON list")
    orders.set_defaults(func=cmd_orders)

    check = commands.add_parser("check-catalog", help="load and check a catalog file")
    check.add_argument("path", nargs="?", help="catalog file (default: $BESPOKE_CATALOG or catalog.yml)")
    check.set_defaults(func=cmd_check_catalog)

    staff = commands.add_parser("staff", help="staff accounts and API tokens for the staff console")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    for command, help_text in (("add", "create a staff account (asks for a password)"),
                               ("password", "set a new password for a staff account")):
        sub = staff_commands.add_parser(command, help=help_text)
        sub.add_argument("name")
        sub.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff_commands.add_parser("disable", help="stop an account signing in or using its tokens").add_argument("name")
    staff_commands.add_parser("list", help="list staff accounts")
    staff_commands.add_parser("token", help="make an API token for a staff account").add_argument("name")
    tokens = staff_commands.add_parser("tokens", help="list API tokens (not the tokens themselves)")
    tokens.add_argument("name", nargs="?")
    staff_commands.add_parser("revoke", help="revoke an API token by its id").add_argument("token_id", type=int)
    staff.set_defaults(func=cmd_staff)

    shell = commands.add_parser("shell", help="chat with the bot in the terminal (rasa shell)")
    shell.set_defaults(func=cmd_shell)

    args = parser.parse_args(argv)
    from bot.core.catalog import CatalogError

    try:
        return args.func(args)
    except (CatalogError, SettingsError) as error:
        print(f"bespoke: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
