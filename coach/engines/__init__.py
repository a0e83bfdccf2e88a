"""Plan engines: the built-in deterministic coach and the OpenAI-compatible LLM engine."""
