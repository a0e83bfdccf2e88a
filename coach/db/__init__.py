"""Storage: tables, the database handle and Alembic migrations."""
