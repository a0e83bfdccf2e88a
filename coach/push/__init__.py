"""Pushing planned workouts to providers: the outbox rows, the worker, push jobs."""
