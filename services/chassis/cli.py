"""`fulcrum`: run the suite on this machine, mint development tokens, apply schema migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.engine import make_url

from services.chassis.config import Settings
from services.chassis.context import KNOWN_ROLES
from services.chassis.devstack import (
    SERVICES,
    Console,
    UpOptions,
    ensure_signing_keys,
    token_issuer,
    up,
    var_dir_from_env,
)
from services.chassis.migrations import upgrade


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    return arguments.command(arguments)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fulcrum", description=__doc__)
    commands = root.add_subparsers(required=True, metavar="command")

    up_command = commands.add_parser(
        "up", help="run NATS and every service on this machine until Ctrl-C", description=up.__doc__
    )
    up_command.add_argument(
        "--demo", action="store_true", help="import the demo organizations and print tokens"
    )
    up_command.add_argument(
        "--services",
        type=service_list,
        default=SERVICES,
        help=f"comma-separated services to run (default: {','.join(SERVICES)})",
    )
    up_command.add_argument(
        "--startup-timeout",
        type=float,
        default=UpOptions.startup_timeout,
        help="seconds each service has to become healthy",
    )
    up_command.set_defaults(command=run_up)

    token_command = commands.add_parser("token", help="print a development bearer token")
    token_command.add_argument("--tenant", required=True)
    token_command.add_argument("--subject", required=True, help="the employee id (or partner key id)")
    token_command.add_argument("--role", action="append", required=True, choices=sorted(KNOWN_ROLES))
    token_command.add_argument(
        "--hr-unit", action="append", default=[], help="limit the HR role to this unit's subtree (repeatable)"
    )
    token_command.add_argument("--ttl", type=positive_int, default=3600, help="lifetime in seconds")
    token_command.set_defaults(command=run_token)

    migrate_command = commands.add_parser(
        "migrate", help="apply schema migrations to each service's configured database"
    )
    migrate_command.add_argument(
        "services", nargs="*", type=known_service, metavar="service", help="default: every service"
    )
    migrate_command.set_defaults(command=run_migrate)
    return root


def known_service(name: str) -> str:
    if name not in SERVICES:
        raise argparse.ArgumentTypeError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    return name


def service_list(text: str) -> tuple[str, ...]:
    names = tuple(known_service(name.strip()) for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"name at least one of {', '.join(SERVICES)}")
    return names


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def run_up(arguments: argparse.Namespace) -> int:
    options = UpOptions(
        services=arguments.services, demo=arguments.demo, startup_timeout=arguments.startup_timeout
    )
    return asyncio.run(up(options, Console()))


def run_token(arguments: argparse.Namespace) -> int:
    private_key_file, _ = ensure_signing_keys(var_dir_from_env() / "keys")
    token = token_issuer(private_key_file).issue(
        arguments.tenant,
        arguments.subject,
        arguments.role,
        hr_unit_ids=arguments.hr_unit,
        ttl=timedelta(seconds=arguments.ttl),
    )
    sys.stdout.write(token + "\n")
    return 0


def run_migrate(arguments: argparse.Namespace) -> int:
    for service in arguments.services or SERVICES:
        url = Settings.from_env(service).database_url
        sys.stdout.write(f"migrating {service}: {make_url(url).render_as_string(hide_password=True)}\n")
        sys.stdout.flush()
        upgrade(service, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
