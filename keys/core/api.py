"""Management API for signing secrets (/api/v1/signing-secrets/…), client certificates and CAs.

Same rules as the API-key endpoints (`keys.api`): credentials need `keys:read` to read and
`keys:manage` to change; people need the matching team role; outsiders get 404; changing live
credentials (and CAs) needs sudo mode; a secret appears once, on a `no-store` response.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import Conflict, OrganizationAccess, caller_for
from keys import services
from keys.apikeys.selectors import key_for_org
from keys.apikeys.serializers import KeyRevokeSerializer, KeyUpdateSerializer
from keys.certificates.selectors import (
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
)
from keys.core.errors import KeyConflict
from keys.core.serializers import (
    CertificateAuthorityCreateSerializer,
    CertificateAuthoritySerializer,
    ClientCertificateCreateSerializer,
    ClientCertificateSerializer,
    CreatedSigningSecretSerializer,
    SigningSecretCreateSerializer,
    SigningSecretRotateResultSerializer,
    SigningSecretRotateSerializer,
    SigningSecretSerializer,
)
from keys.signing.selectors import signing_secret_for_org, signing_secrets_for_org
from lib.http import NO_STORE, validated

LIST_PARAMETERS = [
    OpenApiParameter("organization", str, description="Team slug (portal sessions only)"),
    OpenApiParameter("search", str),
    OpenApiParameter("status", str, enum=["active", "expired", "revoked"]),
    OpenApiParameter("environment", str, enum=["live", "test"]),
]
SCOPES = {"GET": ["keys:read"], "PATCH": ["keys:manage"], "POST": ["keys:manage"]}


class ManagementAccess(OrganizationAccess):
    """The endpoint's gate: credentials need `keys:read` to read and `keys:manage` to change; people need
    the matching team role. Each service then decides on the object itself through the one rule
    (`keys.core.authorization`): environment, scope ceiling, limits, sudo."""

    write_scope = "keys:manage"
    viewer_message = "Viewers can see credentials but not create or change them."


def _conflict(exc: KeyConflict) -> Conflict:
    return Conflict(str(exc))


def collection_schema(name: str, *, request: Any, created: Any, parameters: Any = LIST_PARAMETERS) -> Any:
    """The OpenAPI operations of a kind's collection view: `<name>_list`, and `<name>_create` answering 201."""
    return extend_schema_view(
        get=extend_schema(operation_id=f"{name}_list", parameters=parameters),
        post=extend_schema(operation_id=f"{name}_create", request=request, responses={201: created}),
    )


def detail_schema(name: str, serializer: Any) -> Any:
    """`<name>_retrieve` and `<name>_update` (PATCH with `KeyUpdateSerializer`) of a kind's detail view."""
    return extend_schema_view(
        get=extend_schema(operation_id=f"{name}_retrieve", responses=serializer),
        patch=extend_schema(operation_id=f"{name}_update", request=KeyUpdateSerializer, responses=serializer),
    )


def revoke_schema(name: str, serializer: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(operation_id=f"{name}_revoke", request=KeyRevokeSerializer, responses=serializer)
    )


def team_reference(lookup: Callable[..., Any], organization: Any, ident: str, *, field: str, noun: str) -> Any:
    """The team's object that a create body names by id in `field`; a 400 on `field` when the team has none."""
    try:
        return lookup(organization, ident)
    except Http404:
        raise ValidationError({field: f"No {noun} of your team has this id."}) from None


class CredentialObjectView(APIView):
    """Base of the views on one credential of the caller's team, named by the URL's `url_kwarg`.

    Subclasses only set attributes: `lookup(organization, ident)` finds the credential (404 for outsiders),
    `serializer` renders it, `target` is the keyword the kind's services take it by (`key=`, `secret=`…).
    """

    permission_classes = [ManagementAccess]
    required_scopes = SCOPES
    url_kwarg = "ident"
    ident_length = 40
    lookup: ClassVar[Callable[..., Any]]
    serializer: ClassVar[type[serializers.Serializer[Any]]]
    target: ClassVar[str]

    def get_credential(self, request: Request, **kwargs: str) -> Any:
        return type(self).lookup(caller_for(request).organization, kwargs[self.url_kwarg][: self.ident_length])

    def render(self, credential: Any) -> Response:
        return Response(self.serializer(credential).data)


class CredentialDetail(CredentialObjectView):
    """Read one credential, or change it (PATCH, `KeyUpdateSerializer`) through the kind's `update` service."""

    update: ClassVar[Callable[..., Any]]

    def get(self, request: Request, **kwargs: str) -> Response:
        return self.render(self.get_credential(request, **kwargs))

    def patch(self, request: Request, **kwargs: str) -> Response:
        credential = self.get_credential(request, **kwargs)
        fields = {self.target: credential, **validated(KeyUpdateSerializer, request, partial=True)}
        try:
            credential = type(self).update(actor=caller_for(request).actor, request=request._request, **fields)
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        return self.render(credential)


class CredentialRevoke(CredentialObjectView):
    """Revoke the credential now (with the reason of `KeyRevokeSerializer`) through the kind's `revoke` service."""

    revoke: ClassVar[Callable[..., Any]]

    def post(self, request: Request, **kwargs: str) -> Response:
        credential = self.get_credential(request, **kwargs)
        reason = validated(KeyRevokeSerializer, request)["reason"]
        credential = type(self).revoke(
            **{self.target: credential},
            actor=caller_for(request).actor,
            reason=reason,
            request=request._request,
        )
        return self.render(credential)


class CredentialRotate(CredentialObjectView, metaclass=ABCMeta):
    """Give the credential a new secret through the kind's `rotate` service; the old one keeps working for
    `grace_seconds`. The answer (`answer`) holds the new secret, once, so it is sent `no-store`."""

    rotate: ClassVar[Callable[..., tuple[Any, str]]]
    grace_serializer: ClassVar[type[serializers.Serializer[Any]]]

    def post(self, request: Request, **kwargs: str) -> Response:
        credential = self.get_credential(request, **kwargs)
        grace = timedelta(seconds=validated(self.grace_serializer, request)["grace_seconds"])
        try:
            rotated, plaintext = type(self).rotate(
                **{self.target: credential},
                actor=caller_for(request).actor,
                grace=grace,
                request=request._request,
            )
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        return Response(self.answer(credential, rotated, plaintext), headers=NO_STORE)

    @abstractmethod
    def answer(self, credential: Any, rotated: Any, plaintext: str) -> dict[str, Any]:
        """The 200 body: the new secret and the rotated credential, as the kind shows them."""


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {
        "search": params.get("search", "")[:100],
        "state": params.get("status", ""),
        "environment": params.get("environment", ""),
    }


class CredentialListCreate(GenericAPIView[Any], metaclass=ABCMeta):
    """Base of a kind's collection: list the caller's team's credentials of the kind (`list_query`, filtered
    by the query string unless `filtered` is off), or create one from `input_serializer` through `create`."""

    permission_classes = [ManagementAccess]
    required_scopes = SCOPES
    list_query: ClassVar[Callable[..., Any]]
    input_serializer: ClassVar[type[serializers.Serializer[Any]]]
    filtered = True

    def get_queryset(self) -> Any:
        organization = caller_for(self.request).organization
        filters = _filters(self.request) if self.filtered else {}
        return type(self).list_query(organization, **filters)

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        return self.create(caller_for(request), validated(self.input_serializer, request), request)

    @abstractmethod
    def create(self, caller: Any, fields: dict[str, Any], request: Request) -> Response:
        """Make the one create call with the validated `fields`; the 201 answer."""


# --- signing secrets -----------------------------------------------------------------------------


@collection_schema("signing_secrets", request=SigningSecretCreateSerializer, created=CreatedSigningSecretSerializer)
class SigningSecretListCreate(CredentialListCreate):
    """List the organization's signing secrets, or create one (the response is the only time it is shown)."""

    serializer_class = SigningSecretSerializer
    list_query = signing_secrets_for_org
    input_serializer = SigningSecretCreateSerializer

    def create(self, caller: Any, fields: dict[str, Any], request: Request) -> Response:
        api_key_id = fields.pop("api_key", None)
        if api_key_id:
            fields["api_key"] = team_reference(
                key_for_org, caller.organization, api_key_id, field="api_key", noun="API key"
            )
        secret, plaintext = services.signing_secret_create(
            organization=caller.organization, actor=caller.actor, request=request._request, **fields
        )
        body = CreatedSigningSecretSerializer(secret, context={"plaintext": plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class SigningSecretObjectView(CredentialObjectView):
    lookup = signing_secret_for_org
    serializer = SigningSecretSerializer
    target = "secret"


@detail_schema("signing_secrets", SigningSecretSerializer)
class SigningSecretDetail(SigningSecretObjectView, CredentialDetail):
    """Read one signing secret (by id or key id), or change its name, networks, expiry, limit, or narrow scopes."""

    update = services.signing_secret_update


@extend_schema_view(
    post=extend_schema(
        operation_id="signing_secrets_rotate",
        request=SigningSecretRotateSerializer,
        responses=SigningSecretRotateResultSerializer,
    )
)
class SigningSecretRotate(SigningSecretObjectView, CredentialRotate):
    """Give the key id a new secret; the previous one keeps verifying for `grace_seconds`."""

    rotate = services.signing_secret_rotate
    grace_serializer = SigningSecretRotateSerializer

    def answer(self, credential: Any, rotated: Any, plaintext: str) -> dict[str, Any]:
        return {"secret": plaintext, "signing_secret": SigningSecretSerializer(rotated).data}


@revoke_schema("signing_secrets", SigningSecretSerializer)
class SigningSecretRevoke(SigningSecretObjectView, CredentialRevoke):
    """Revoke the signing secret now. The very next request signed with it fails."""

    revoke = services.signing_secret_revoke


# --- certificate authorities ---------------------------------------------------------------------


@collection_schema(
    "certificate_authorities",
    request=CertificateAuthorityCreateSerializer,
    created=CertificateAuthoritySerializer,
    parameters=LIST_PARAMETERS[:1],
)
class CertificateAuthorityListCreate(CredentialListCreate):
    """List the organization's certificate authorities, or register one."""

    serializer_class = CertificateAuthoritySerializer
    list_query = authorities_for_org
    input_serializer = CertificateAuthorityCreateSerializer
    filtered = False

    def create(self, caller: Any, fields: dict[str, Any], request: Request) -> Response:
        authority = services.certificate_authority_register(
            organization=caller.organization,
            actor=caller.actor,
            name=fields["name"],
            certificate_pem=fields["certificate"],
            request=request._request,
        )
        return Response(CertificateAuthoritySerializer(authority).data, status=status.HTTP_201_CREATED)


class CertificateAuthorityObjectView(CredentialObjectView):
    lookup = authority_for_org
    serializer = CertificateAuthoritySerializer
    target = "authority"


class CertificateAuthorityDetail(CertificateAuthorityObjectView):
    """Read one certificate authority."""

    @extend_schema(operation_id="certificate_authorities_retrieve", responses=CertificateAuthoritySerializer)
    def get(self, request: Request, ident: str) -> Response:
        return self.render(self.get_credential(request, ident=ident))


@revoke_schema("certificate_authorities", CertificateAuthoritySerializer)
class CertificateAuthorityRevoke(CertificateAuthorityObjectView, CredentialRevoke):
    """Stop trusting the CA: every identity under it fails on the next request."""

    revoke = services.certificate_authority_revoke


# --- client certificates -----------------------------------------------------------------------------


@collection_schema(
    "client_certificates", request=ClientCertificateCreateSerializer, created=ClientCertificateSerializer
)
class ClientCertificateListCreate(CredentialListCreate):
    """List the organization's client certificates, or register one: a PEM to pin, or a CA identity."""

    serializer_class = ClientCertificateSerializer
    list_query = client_certificates_for_org
    input_serializer = ClientCertificateCreateSerializer

    def create(self, caller: Any, fields: dict[str, Any], request: Request) -> Response:
        authority_id = fields.pop("authority", "")
        pem = fields.pop("certificate", "")
        if authority_id:
            fields["authority"] = team_reference(
                authority_for_org, caller.organization, authority_id, field="authority", noun="certificate authority"
            )
        cert = services.client_certificate_register(
            organization=caller.organization,
            actor=caller.actor,
            certificate_pem=pem or None,
            request=request._request,
            **fields,
        )
        return Response(ClientCertificateSerializer(cert).data, status=status.HTTP_201_CREATED)


class ClientCertificateObjectView(CredentialObjectView):
    lookup = client_certificate_for_org
    serializer = ClientCertificateSerializer
    target = "certificate"


@detail_schema("client_certificates", ClientCertificateSerializer)
class ClientCertificateDetail(ClientCertificateObjectView, CredentialDetail):
    """Read one client certificate, or change its name, networks, expiry, limit, or narrow its scopes."""

    update = services.client_certificate_update


@revoke_schema("client_certificates", ClientCertificateSerializer)
class ClientCertificateRevoke(ClientCertificateObjectView, CredentialRevoke):
    """Revoke the client certificate now. The very next request with it fails."""

    revoke = services.client_certificate_revoke
