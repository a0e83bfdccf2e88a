"""The LLM plan engine (any OpenAI-compatible server) and its local llama.cpp variant."""

from __future__ import annotations

from coach.engines.llm.engine import LLMEngine
from coach.engines.llm.local import start_local_engine

__all__ = ["LLMEngine", "start_local_engine"]
