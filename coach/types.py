"""Field types shared by many payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# Integer ids are 32-bit columns on PostgreSQL; a larger value cannot name a row and would
# make the driver fail, so it is refused at validation.
MAX_ID = 2**31 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
