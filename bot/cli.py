"""`bespoke`: the one entry point (run the bot, train, list orders, check the catalog)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional

from actions.settings import database_url


def _check_catalog() -> None:
    from actions.catalog import catalog_path, load_catalog

    path = catalog_path()
    catalog = load_catalog(path)
    print(f"bespoke: catalog {path}: {len(catalog.products)} products "
          f"({', '.join(p.id for p in catalog.products)})", flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import Settings, ensure_model, serve

    # The action server checks the catalog as it starts (in parallel with Rasa loading);
    # a malformed catalog stops everything with the error.
    model = ensure_model(force=False) if not args.no_train else None
    settings = Settings.from_env()
    if model is None:
        from bot.runner import model_path

        model = model_path(settings.models_dir)
        if not model.exists():
            print(f"bespoke: no trained model at {model}; run `bespoke train` first", file=sys.stderr)
            return 2
    base = f"http://{settings.host}:{settings.rasa_port}"
    print(
        "bespoke: starting the action server, Rasa and the web chat.\n"
        f"  web chat:  http://{settings.host}:{settings.web_port}/\n"
        f"  REST:      POST {base}/webhooks/rest/webhook  {{\"sender\": \"me\", \"message\": \"hi\"}}\n"
        f"  orders:    {database_url()}\n"
        "  Ctrl-C stops everything.",
        flush=True,
    )
    return serve(settings, model)


def cmd_train(args: argparse.Namespace) -> int:
    from bot.runner import ensure_model

    print(ensure_model(force=args.force))
    return 0


def cmd_orders(args: argparse.Namespace) -> int:
    from actions.store import OrderStore

    store = OrderStore(database_url())
    store.migrate()
    orders = store.all_orders()
    if args.json:
        json.dump(orders, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not orders:
        print("No orders yet.")
    for order in orders:
        total = f"{order['total']} {order['currency']}" if order["total"] is not None else "quote request"
        print(f"{order['number']}  {order['created_at'][:16]}  {order['status']:<10} {order['product_name']:<24} "
              f"{total:>14}  {order['customer_name']} <{order['customer_email']}>")
    return 0


def cmd_check_catalog(args: argparse.Namespace) -> int:
    if args.path:
        os.environ["BESPOKE_CATALOG"] = args.path
    _check_catalog()
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    """Chat in the terminal: the action server in the background, `rasa shell` in front."""
    import subprocess

    from bot.runner import ROOT, Settings, ensure_model, process_env

    _check_catalog()
    settings = Settings.from_env()
    model = ensure_model()
    env = process_env(settings, model)
    actions = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.actions_port)],
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
    run.set_defaults(func=cmd_run)

    train = commands.add_parser("train", help="train the model when data, domain or config changed")
    train.add_argument("--force", action="store_true", help="train even if a model for this data exists")
    train.set_defaults(func=cmd_train)

    orders = commands.add_parser("orders", help="list stored orders")
    orders.add_argument("--json", action="store_true", help="print all orders as a JSON list")
    orders.set_defaults(func=cmd_orders)

    check = commands.add_parser("check-catalog", help="load and check a catalog file")
    check.add_argument("path", nargs="?", help="catalog file (default: $BESPOKE_CATALOG or catalog.yml)")
    check.set_defaults(func=cmd_check_catalog)

    shell = commands.add_parser("shell", help="chat with the bot in the terminal (rasa shell)")
    shell.set_defaults(func=cmd_shell)

    args = parser.parse_args(argv)
    from actions.catalog import CatalogError

    try:
        return args.func(args)
    except CatalogError as error:
        print(f"bespoke: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
