"""HTTP and SSE handlers, one module per resource, and the plumbing they share."""
