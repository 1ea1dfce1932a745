"""Parameter types shared by the API's routers: bounds are checked, a bad value is a 400 that
names the parameter (never a 500, never silently clamped)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Limit = Annotated[int, Field(ge=1, le=1000, description="rows per page, 1 to 1000")]
Offset = Annotated[int, Field(ge=0, le=10**9, description="rows to skip")]
