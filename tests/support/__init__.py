"""Test helpers: live servers on loopback, fresh databases, organizations with keys."""
