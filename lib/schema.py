"""OpenAPI building blocks for drf-spectacular that every app's authentication schemes share."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """An `Authorization: Bearer …` security scheme. Subclasses name `target_class`, `name`, `bearer_format`
    and `description`; this base names no target class, so drf-spectacular never matches it itself."""

    bearer_format = ""
    description = ""

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": self.bearer_format, "description": self.description}
