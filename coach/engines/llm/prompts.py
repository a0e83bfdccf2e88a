"""Render the jinja2 prompt templates in `prompts/` into chat messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from openai.types.chat import ChatCompletionMessageParam

Message = ChatCompletionMessageParam


class Prompts:
    """Templates are sandboxed (they are files an operator may edit) and strict: a variable
    the engine forgot to pass fails loudly instead of rendering an empty string."""

    def __init__(self, directory: Path) -> None:
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=False,
        )

    def render(self, name: str, **variables: Any) -> str:
        return self.env.get_template(f"{name}.j2").render(**variables).strip()

    def messages(self, step: str, **variables: Any) -> list[Message]:
        """The system and user messages of a step (`draft` or `plan`)."""
        return [
            {"role": "system", "content": self.render(f"{step}_system", **variables)},
            {"role": "user", "content": self.render(f"{step}_user", **variables)},
        ]
