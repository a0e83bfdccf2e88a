"""Server-sent event streams: engine events become SSE events with ids, live or replayed."""
