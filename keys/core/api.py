"""Management API for signing secrets (/api/v1/signing-secrets/…), client certificates and CAs.

Same rules as the API-key endpoints (`keys.api`): credentials need `keys:read` to read and
`keys:manage` to change; people need the matching team role; outsiders get 404; changing live
credentials (and CAs) needs sudo mode; a secret appears once, on a `no-store` response.
"""

from __future__ import annotations

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
from keys.apikeys.selectors import (
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
    key_for_org,
    signing_secret_for_org,
    signing_secrets_for_org,
)
from keys.apikeys.serializers import KeyRevokeSerializer, KeyUpdateSerializer
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
from keys.models import CertificateAuthority, ClientCertificate, SigningSecret
from lib.http import NO_STORE

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
        data = KeyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {self.target: credential, **data.validated_data}
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
        data = KeyRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = type(self).revoke(
            **{self.target: credential},
            actor=caller_for(request).actor,
            reason=data.validated_data["reason"],
            request=request._request,
        )
        return self.render(credential)


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {
        "search": params.get("search", "")[:100],
        "state": params.get("status", ""),
        "environment": params.get("environment", ""),
    }


# --- signing secrets -----------------------------------------------------------------------------


class SigningSecretListCreate(GenericAPIView[SigningSecret]):
    """List the organization's signing secrets, or create one (the response is the only time it is shown)."""

    permission_classes = [ManagementAccess]
    required_scopes = SCOPES
    serializer_class = SigningSecretSerializer

    def get_queryset(self) -> Any:
        return signing_secrets_for_org(caller_for(self.request).organization, **_filters(self.request))

    @extend_schema(operation_id="signing_secrets_list", parameters=LIST_PARAMETERS)
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SigningSecretSerializer(page, many=True).data)

    @extend_schema(
        operation_id="signing_secrets_create",
        request=SigningSecretCreateSerializer,
        responses={201: CreatedSigningSecretSerializer},
    )
    def post(self, request: Request) -> Response:
        data = SigningSecretCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caller = caller_for(request)
        fields = dict(data.validated_data)
        api_key_id = fields.pop("api_key", None)
        if api_key_id:
            try:
                fields["api_key"] = key_for_org(caller.organization, api_key_id)
            except Http404:
                raise ValidationError({"api_key": "No API key of your team has this id."}) from None
        secret, plaintext = services.signing_secret_create(
            organization=caller.organization, actor=caller.actor, request=request._request, **fields
        )
        body = CreatedSigningSecretSerializer(secret, context={"plaintext": plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class SigningSecretObjectView(CredentialObjectView):
    lookup = signing_secret_for_org
    serializer = SigningSecretSerializer
    target = "secret"


@extend_schema_view(
    get=extend_schema(operation_id="signing_secrets_retrieve", responses=SigningSecretSerializer),
    patch=extend_schema(
        operation_id="signing_secrets_update", request=KeyUpdateSerializer, responses=SigningSecretSerializer
    ),
)
class SigningSecretDetail(SigningSecretObjectView, CredentialDetail):
    """Read one signing secret (by id or key id), or change its name, networks, expiry, limit, or narrow scopes."""

    update = services.signing_secret_update


class SigningSecretRotate(SigningSecretObjectView):
    """Give the key id a new secret; the previous one keeps verifying for `grace_seconds`."""

    @extend_schema(
        operation_id="signing_secrets_rotate",
        request=SigningSecretRotateSerializer,
        responses=SigningSecretRotateResultSerializer,
    )
    def post(self, request: Request, ident: str) -> Response:
        secret = self.get_credential(request, ident=ident)
        data = SigningSecretRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            secret, plaintext = services.signing_secret_rotate(
                secret=secret,
                actor=caller_for(request).actor,
                grace=timedelta(seconds=data.validated_data["grace_seconds"]),
                request=request._request,
            )
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        body = {"secret": plaintext, "signing_secret": SigningSecretSerializer(secret).data}
        return Response(body, headers=NO_STORE)


@extend_schema_view(
    post=extend_schema(
        operation_id="signing_secrets_revoke", request=KeyRevokeSerializer, responses=SigningSecretSerializer
    )
)
class SigningSecretRevoke(SigningSecretObjectView, CredentialRevoke):
    """Revoke the signing secret now. The very next request signed with it fails."""

    revoke = services.signing_secret_revoke


# --- certificate authorities ---------------------------------------------------------------------


class CertificateAuthorityListCreate(GenericAPIView[CertificateAuthority]):
    """List the organization's certificate authorities, or register one."""

    permission_classes = [ManagementAccess]
    required_scopes = SCOPES
    serializer_class = CertificateAuthoritySerializer

    def get_queryset(self) -> Any:
        return authorities_for_org(caller_for(self.request).organization)

    @extend_schema(operation_id="certificate_authorities_list", parameters=LIST_PARAMETERS[:1])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CertificateAuthoritySerializer(page, many=True).data)

    @extend_schema(
        operation_id="certificate_authorities_create",
        request=CertificateAuthorityCreateSerializer,
        responses={201: CertificateAuthoritySerializer},
    )
    def post(self, request: Request) -> Response:
        data = CertificateAuthorityCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caller = caller_for(request)
        authority = services.certificate_authority_register(
            organization=caller.organization,
            actor=caller.actor,
            name=data.validated_data["name"],
            certificate_pem=data.validated_data["certificate"],
            request=request._request,
        )
        return Response(CertificateAuthoritySerializer(authority).data, status=status.HTTP_201_CREATED)


class CertificateAuthorityObjectView(APIView):
    permission_classes = [ManagementAccess]
    required_scopes = SCOPES

    def get_authority(self, request: Request, ident: str) -> CertificateAuthority:
        return authority_for_org(caller_for(request).organization, ident)


class CertificateAuthorityDetail(CertificateAuthorityObjectView):
    """Read one certificate authority."""

    @extend_schema(operation_id="certificate_authorities_retrieve", responses=CertificateAuthoritySerializer)
    def get(self, request: Request, ident: str) -> Response:
        return Response(CertificateAuthoritySerializer(self.get_authority(request, ident)).data)


class CertificateAuthorityRevoke(CertificateAuthorityObjectView):
    """Stop trusting the CA: every identity under it fails on the next request."""

    @extend_schema(
        operation_id="certificate_authorities_revoke",
        request=KeyRevokeSerializer,
        responses=CertificateAuthoritySerializer,
    )
    def post(self, request: Request, ident: str) -> Response:
        authority = self.get_authority(request, ident)
        data = KeyRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        authority = services.certificate_authority_revoke(
            authority=authority,
            actor=caller_for(request).actor,
            reason=data.validated_data["reason"],
            request=request._request,
        )
        return Response(CertificateAuthoritySerializer(authority).data)


# --- client certificates -----------------------------------------------------------------------------


class ClientCertificateListCreate(GenericAPIView[ClientCertificate]):
    """List the organization's client certificates, or register one: a PEM to pin, or a CA identity."""

    permission_classes = [ManagementAccess]
    required_scopes = SCOPES
    serializer_class = ClientCertificateSerializer

    def get_queryset(self) -> Any:
        return client_certificates_for_org(caller_for(self.request).organization, **_filters(self.request))

    @extend_schema(operation_id="client_certificates_list", parameters=LIST_PARAMETERS)
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClientCertificateSerializer(page, many=True).data)

    @extend_schema(
        operation_id="client_certificates_create",
        request=ClientCertificateCreateSerializer,
        responses={201: ClientCertificateSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ClientCertificateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caller = caller_for(request)
        fields = dict(data.validated_data)
        authority_id = fields.pop("authority", "")
        pem = fields.pop("certificate", "")
        if authority_id:
            try:
                fields["authority"] = authority_for_org(caller.organization, authority_id)
            except Http404:
                raise ValidationError({"authority": "No certificate authority of your team has this id."}) from None
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


@extend_schema_view(
    get=extend_schema(operation_id="client_certificates_retrieve", responses=ClientCertificateSerializer),
    patch=extend_schema(
        operation_id="client_certificates_update", request=KeyUpdateSerializer, responses=ClientCertificateSerializer
    ),
)
class ClientCertificateDetail(ClientCertificateObjectView, CredentialDetail):
    """Read one client certificate, or change its name, networks, expiry, limit, or narrow its scopes."""

    update = services.client_certificate_update


@extend_schema_view(
    post=extend_schema(
        operation_id="client_certificates_revoke", request=KeyRevokeSerializer, responses=ClientCertificateSerializer
    )
)
class ClientCertificateRevoke(ClientCertificateObjectView, CredentialRevoke):
    """Revoke the client certificate now. The very next request with it fails."""

    revoke = services.client_certificate_revoke
