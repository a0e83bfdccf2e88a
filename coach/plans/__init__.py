"""Structured training plans: the Workout model, the draft text format and the coaching rules."""
