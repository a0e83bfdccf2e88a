"""Coach Agent: plan training with an LLM and put the workouts on athletes' watches."""

__version__ = "0.1.0"
