"""The MCP server: the service's tools, resources and prompt for AI assistants."""
