"""The company's own endpoints: orders, behind Keyhouse API keys or OAuth access tokens."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _caller(request: Request) -> dict[str, Any]:
    credential: Any = request.auth
    return {"kind": credential.kind, "id": credential.id, "organization": credential.organization}


class OrderList(APIView):
    """GET needs `orders:read`, POST `orders:write` (which implies read)."""

    required_scopes = {"GET": ["orders:read"], "POST": ["orders:write"]}

    def get(self, request: Request) -> Response:
        return Response({"orders": [{"id": 1, "total": "12.50"}], "caller": _caller(request)})

    def post(self, request: Request) -> Response:
        return Response({"created": True, "caller": _caller(request)}, status=201)


class Health(APIView):
    """Open: no credential needed."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
