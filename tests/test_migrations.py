"""Migrations run from an empty database, down and up again, on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import coach.db.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from coach.db.migrate import current_revision, downgrade, upgrade
from tests.support.databases import BACKENDS, fresh_database


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_and_back(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        assert current_revision(url) is None
        upgrade(url)
        assert {"organizations", "members", "api_keys"} <= _tables(url)
        head = current_revision(url)
        assert head is not None
        upgrade(url)  # a second run is a no-op, not an error
        assert current_revision(url) == head
        downgrade(url, "base")
        assert _tables(url) <= {"alembic_version"}
        upgrade(url)
        assert current_revision(url) == head


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_keeps_existing_rows(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        upgrade(url, "0001")
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO organizations (name, dev_id, features, training_principle,"
                        " created_at) VALUES ('Old Club', 'old-club-1', '[\"coach_agent\"]',"
                        " 'lydiard', CURRENT_TIMESTAMP)"
                    )
                )
            upgrade(url)
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT name, dev_id, training_principle FROM organizations")
                ).all()
        finally:
            engine.dispose()
        assert [tuple(r) for r in rows] == [("Old Club", "old-club-1", "lydiard")]
        assert {"plans", "workout_templates"} <= _tables(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_build_the_tables_the_models_describe(backend: str, tmp_path: Path) -> None:
    """A column a model has and no migration creates would be a 500 on first use."""
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": False})
                differences = compare_metadata(context, SQLModel.metadata)
        finally:
            engine.dispose()
    assert differences == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_plans_generated_before_revisions_get_their_revision_one(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        upgrade(url, "0006")
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO organizations (id, name, dev_id, features, created_at)"
                        " VALUES (1, 'Club', 'club-1', '[]', CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO members (id, organization_id, name, role, settings,"
                        " created_at) VALUES (1, 1, 'coach', 'coach', '{}', CURRENT_TIMESTAMP)"
                    )
                )
                for plan_id, status, revision in (("done", "complete", 1), ("dead", "failed", 0)):
                    connection.execute(
                        text(
                            "INSERT INTO plans (id, organization_id, member_id, status, engine,"
                            " request, training_principle, content, weekly_info, warnings,"
                            " created_at, revision) VALUES (:id, 1, 1, :status, 'builtin', '{}',"
                            " 'p', '[{\"week\": 1}]', '{}', '[]', CURRENT_TIMESTAMP, :revision)"
                        ),
                        {"id": plan_id, "status": status, "revision": revision},
                    )
            upgrade(url)
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT plan_id, revision, summary, content FROM plan_revisions")
                ).all()
        finally:
            engine.dispose()
    assert [(r[0], r[1], r[2]) for r in rows] == [("done", 1, "generated")]
    content = rows[0][3]
    assert (json.loads(content) if isinstance(content, str) else content) == [{"week": 1}]
