"""The `coach` command: serve, the push worker alone, MCP over stdio, demo data,
organizations, API keys, the credential key, migrations and plan linting."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from sqlmodel import Session

from coach import logs
from coach import secrets as credential_key
from coach.accounts import (
    COACH_AGENT_FEATURE,
    KeyInfo,
    caller_for_key,
    create_key,
    create_member,
    create_organization,
    list_keys,
    revoke_key,
    rotate_key,
)
from coach.db.database import Database
from coach.db.migrate import upgrade
from coach.db.tables import ROLES
from coach.errors import CoachError
from coach.plans.lint import lint_main
from coach.settings import Settings

log = logging.getLogger("coach.cli")


def _emit(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        for key, value in data.items():
            sys.stdout.write(f"{key}: {value}\n")


def _database(settings: Settings) -> Database:
    upgrade(settings.database_url)
    return Database(settings.database_url)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here, not for a cycle: `coach lint` and `coach key` should not pay for
    # loading the web stack and every engine.
    import uvicorn

    from coach.app import create_app
    from coach.gc_tuning import tune_for_streams

    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    # Links default to where this process listens, --host/--port included.
    settings = settings.model_copy(update={"host": host, "port": port})
    db = _database(settings)
    try:
        # Here too, not only in the app's start-up: a refusal reads as one clear line.
        credential_key.service_box(settings, db)
    finally:
        db.dispose()
    if args.no_push_worker:
        settings = settings.model_copy(update={"push_worker": False})
    log.info("database ready; listening on http://%s:%s", host, port)
    if args.workers > 1:
        # Each worker process builds its app from the environment: hand it what the
        # command line changed.
        os.environ["COACH_HOST"], os.environ["COACH_PORT"] = host, str(port)
        os.environ["COACH_PUSH_WORKER"] = str(settings.push_worker).lower()
        uvicorn.run(
            "coach.app:app_from_environment",
            factory=True,
            workers=args.workers,
            host=host,
            port=port,
            log_level=settings.log_level,
            access_log=False,
        )
        return 0
    app = create_app(settings)
    tune_for_streams(settings.gc_young_threshold)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, access_log=False)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    from coach.app import run_push_worker

    db = _database(settings)
    try:
        credential_key.service_box(settings, db)
    finally:
        db.dispose()
    anyio.run(run_push_worker, settings)
    return 0


def cmd_init_demo(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)

    def create(session: Session) -> dict[str, object]:
        org = create_organization(session, name=args.name, features=[COACH_AGENT_FEATURE])
        assert org.id is not None
        admin = create_member(session, organization_id=org.id, role="admin", name="Demo admin")
        coach = create_member(session, organization_id=org.id, role="coach", name="Demo coach")
        return {
            "organization_id": org.id,
            "dev_id": org.dev_id,
            "admin_key": create_key(session, member_id=admin.id or 0),
            "coach_key": create_key(session, member_id=coach.id or 0),
        }

    _emit(db.call(create), args.json)
    db.dispose()
    return 0


def cmd_org_create(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    org = db.call(
        lambda s: create_organization(
            s, name=args.name, features=args.feature or [], training_principle=args.principle
        )
    )
    _emit(
        {
            "organization_id": org.id,
            "name": org.name,
            "dev_id": org.dev_id,
            "features": org.features,
        },
        args.json,
    )
    db.dispose()
    return 0


def cmd_key_create(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)

    def create(session: Session) -> dict[str, object]:
        member = create_member(session, organization_id=args.org, role=args.role, name=args.name)
        return {
            "organization_id": args.org,
            "member_id": member.id,
            "role": member.role,
            "key": create_key(session, member_id=member.id or 0),
        }

    try:
        result = db.call(create)
    except LookupError as exc:
        sys.stderr.write(f"coach: {exc}\n")
        return 2
    finally:
        db.dispose()
    _emit(result, args.json)
    return 0


def _key_row(info: KeyInfo) -> dict[str, object]:
    return {
        "key_id": info.key_id,
        "prefix": info.prefix,
        "organization_id": info.organization_id,
        "member_id": info.member_id,
        "member_name": info.member_name,
        "role": info.role,
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }


def cmd_key_list(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    try:
        infos = db.call(
            lambda s: list_keys(
                s, organization_id=args.org, member_id=args.member, active_only=args.active
            )
        )
    finally:
        db.dispose()
    rows = [_key_row(info) for info in infos]
    if args.json:
        sys.stdout.write(json.dumps({"keys": rows}) + "\n")
        return 0
    columns = ("key_id", "prefix", "organization_id", "member_id", "role", "created_at")
    table = [[*columns, "revoked_at"]]
    table += [[str(r[c]) for c in columns] + [str(r["revoked_at"] or "-")] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) + "\n")
    return 0


def cmd_key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    try:
        info = db.call(lambda s: revoke_key(s, args.key_id, force=args.force))
    finally:
        db.dispose()
    _emit(_key_row(info), args.json)
    return 0


def cmd_key_rotate(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    try:
        revoked, created, key = db.call(lambda s: rotate_key(s, args.key_id))
    finally:
        db.dispose()
    if args.json:
        _emit({"revoked": _key_row(revoked), "created": {**_key_row(created), "key": key}}, True)
        return 0
    sys.stdout.write(
        f"revoked key {revoked.key_id} ({revoked.prefix}…)\n"
        f"new key {created.key_id} of member {created.member_id} ({created.role}), "
        f"shown once:\n{key}\n"
    )
    return 0


def _reseal_summary(report: credential_key.ResealReport) -> dict[str, object]:
    return {
        "credentials": report.total,
        "resealed": report.resealed,
        "unreadable": report.unreadable,
        "changed_meanwhile": report.changed_meanwhile,
    }


def _warn_unreadable(report: credential_key.ResealReport) -> int:
    if not report.unreadable:
        return 0
    sys.stderr.write(
        f"coach: no key opens the credentials of connection(s) "
        f"{', '.join(map(str, report.unreadable))}; they were left as they were\n"
    )
    return 1


def cmd_secret_rotate(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    try:
        rotation = credential_key.rotate(settings, db)
    finally:
        db.dispose()
    report = rotation.report
    result: dict[str, object] = {
        "key_source": "file" if rotation.path else "environment",
        "key_file": str(rotation.path) if rotation.path else None,
        **_reseal_summary(report),
    }
    value = ",".join(k.decode() for k in rotation.keys)
    if rotation.path is None:
        # The operator sets this: nothing else keeps the new key.
        result["secret_key"], result["new_key"] = value, rotation.new_key.decode()
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return _warn_unreadable(report)
    out = sys.stdout.write
    out(f"Re-sealed {report.resealed} of {report.total} stored credentials with a new key.\n")
    if rotation.path is not None and len(rotation.keys) == 1:
        out(f"The key file {rotation.path} holds the new key alone; restart the service.\n")
    elif rotation.path is not None:
        out(
            f"{report.changed_meanwhile} credential(s) changed meanwhile (is the service "
            f"running?): {rotation.path} keeps the old key too. Stop the service and run "
            "`coach secret reseal`.\n"
        )
    else:
        out(
            f"Set this on every host and restart (the new key first; the old ones still "
            f"open what hosts seal until they restart):\n\n  {credential_key.KEY_ENV}={value}\n\n"
            "Once every host runs with it, run `coach secret reseal`, then drop the old "
            f"keys: {credential_key.KEY_ENV}={rotation.new_key.decode()}\n"
        )
    return _warn_unreadable(report)


def cmd_secret_reseal(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings)
    try:
        source, report = credential_key.reseal(settings, db)
    finally:
        db.dispose()
    old_keys_needed = bool(report.changed_meanwhile) and len(source.keys) > 1
    result: dict[str, object] = {
        "key_source": "file" if source.path else "environment",
        "key_file": str(source.path) if source.path else None,
        "keys": len(source.keys),
        "old_keys_needed": old_keys_needed,
        **_reseal_summary(report),
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return _warn_unreadable(report)
    out = sys.stdout.write
    out(f"Re-sealed {report.resealed} of {report.total} stored credentials with the first key.\n")
    if old_keys_needed:
        out("Some changed meanwhile: run it again before dropping old keys.\n")
    elif source.path is not None:
        out(f"The key file {source.path} holds one key.\n")
    elif len(source.keys) > 1:
        out(
            f"Every credential opens with the first key of {credential_key.KEY_ENV}: "
            "drop the others.\n"
        )
    return _warn_unreadable(report)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url, args.revision)
    log.info("database at revision %s", args.revision)
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here, as for serve: the other commands need not load the MCP SDK.
    import anyio

    from coach.mcp.stdio import KEY_ENV, serve_stdio

    key = args.key or os.environ.get(KEY_ENV, "")
    if not key.strip():
        sys.stderr.write(f"coach: give the API key with --key or {KEY_ENV}\n")
        return 2
    db = _database(settings)
    try:
        credential_key.service_box(settings, db)
        # A wrong key fails here, in one line, not at the assistant's first message.
        if db.call(lambda s: caller_for_key(s, key.strip())) is None:
            sys.stderr.write("coach: invalid API key\n")
            return 2
    finally:
        db.dispose()
    anyio.run(serve_stdio, settings, key.strip())
    return 0


def cmd_lint(args: argparse.Namespace, settings: Settings) -> int:
    return lint_main(args.rest, principles_dir=settings.principles_dir)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes serving on the port (uvicorn workers); several need COACH_REDIS_URL "
        "for streams to be followed from any of them",
    )
    serve.add_argument(
        "--no-push-worker",
        action="store_true",
        help="serve HTTP only; `coach worker` pushes (same as COACH_PUSH_WORKER=false)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the push worker alone (no HTTP)")
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("init-demo", help="create a demo organization with admin and coach keys")
    demo.add_argument("--name", default="Demo Coaching")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_init_demo)

    org = sub.add_parser("org", help="organizations").add_subparsers(
        dest="org_command", required=True
    )
    org_create = org.add_parser("create", help="create an organization")
    org_create.add_argument("--name", required=True)
    org_create.add_argument(
        "--feature", action="append", help=f"a plan feature, e.g. {COACH_AGENT_FEATURE}; repeatable"
    )
    org_create.add_argument("--principle", help="training principle: built-in name or free text")
    org_create.add_argument("--json", action="store_true")
    org_create.set_defaults(func=cmd_org_create)

    key = sub.add_parser("key", help="API keys").add_subparsers(dest="key_command", required=True)
    key_create = key.add_parser("create", help="create a member with a new API key")
    key_create.add_argument("--org", type=int, required=True)
    key_create.add_argument("--role", choices=ROLES, required=True)
    key_create.add_argument("--name", default="API member")
    key_create.add_argument("--json", action="store_true")
    key_create.set_defaults(func=cmd_key_create)
    key_list = key.add_parser("list", help="list keys (never the keys themselves)")
    key_list.add_argument("--org", type=int, help="only this organization's keys")
    key_list.add_argument("--member", type=int, help="only this member's keys")
    key_list.add_argument("--active", action="store_true", help="leave revoked keys out")
    key_list.add_argument("--json", action="store_true")
    key_list.set_defaults(func=cmd_key_list)
    key_revoke = key.add_parser("revoke", help="revoke a key: refused at once")
    key_revoke.add_argument("key_id", type=int)
    key_revoke.add_argument(
        "--force", action="store_true", help="also the organization's last active admin key"
    )
    key_revoke.add_argument("--json", action="store_true")
    key_revoke.set_defaults(func=cmd_key_revoke)
    key_rotate = key.add_parser("rotate", help="revoke a key and give its member a new one")
    key_rotate.add_argument("key_id", type=int)
    key_rotate.add_argument("--json", action="store_true")
    key_rotate.set_defaults(func=cmd_key_rotate)

    secret = sub.add_parser(
        "secret", help=f"the credential key ({credential_key.KEY_ENV} or DATA_DIR/secret.key)"
    ).add_subparsers(dest="secret_command", required=True)
    secret_rotate = secret.add_parser(
        "rotate", help="re-seal every stored provider credential with a new key"
    )
    secret_rotate.add_argument("--json", action="store_true")
    secret_rotate.set_defaults(func=cmd_secret_rotate)
    secret_reseal = secret.add_parser(
        "reseal", help="re-seal every stored credential with the first key; then old keys go"
    )
    secret_reseal.add_argument("--json", action="store_true")
    secret_reseal.set_defaults(func=cmd_secret_reseal)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db_upgrade = db.add_parser("upgrade", help="apply migrations")
    db_upgrade.add_argument("--revision", default="head")
    db_upgrade.set_defaults(func=cmd_db_upgrade)

    mcp = sub.add_parser(
        "mcp", help="serve MCP on stdin/stdout as the member of an API key (for AI assistants)"
    )
    mcp.add_argument("--key", help="the API key (default: the COACH_MCP_KEY environment variable)")
    mcp.set_defaults(func=cmd_mcp)

    lint = sub.add_parser(
        "lint", help="check a plan JSON file against the coaching rules", add_help=False
    )
    lint.add_argument("rest", nargs=argparse.REMAINDER)
    lint.set_defaults(func=cmd_lint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logs.configure(settings.log_level)
    try:
        return int(args.func(args, settings))
    except CoachError as exc:
        # A refused key, an unknown key id, a credential key that cannot open what is
        # stored: one line naming the fix, not a traceback.
        sys.stderr.write(f"coach: {exc.message}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
