"""The plan editor page: a jinja2 template, hand-written ES modules and CSS, served at
`/editor` by the service itself (no build step, nothing loaded from another origin)."""
