"""Syncing with providers: the planned-workout outbox, the worker, push jobs, imports."""
