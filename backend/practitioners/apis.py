from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core import audit
from backend.core.permissions import IsAgencyStaff, IsPractitioner
from backend.core.schema import documents_errors
from backend.practitioners import services
from backend.practitioners.selectors import availability_for, credentials_for, practitioners_for
from backend.practitioners.serializers import (
    AvailabilitySerializer,
    CredentialSerializer,
    MeSerializer,
    PractitionerSerializer,
)


class _AuditedReadsMixin:
    """Records one audit row per practitioner whose data a list or detail response carries."""

    audit_subject = "practitioner"

    def _practitioner_id(self, instance) -> int:
        return instance.id if self.audit_subject == "practitioner" else instance.practitioner_id

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        rows = list(page.object_list) if page is not None else []
        audit.record_many(
            actor=request.user,
            action="read",
            subject_type=self.audit_subject,
            practitioner_ids=sorted({self._practitioner_id(row) for row in rows}),
            request=request,
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        audit.record(
            actor=request.user,
            action="read",
            subject_type=self.audit_subject,
            subject_id=instance.id,
            practitioner_id=self._practitioner_id(instance),
            request=request,
        )
        return Response(self.get_serializer(instance).data)


def _split_user_fields(validated: dict) -> tuple[dict, dict]:
    user_fields = validated.pop("user", {})
    return user_fields, validated


class PractitionerViewSet(
    _AuditedReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Agency staff manage their agency's practitioners. Nobody is deleted: set status inactive."""

    serializer_class = PractitionerSerializer
    permission_classes = [IsAgencyStaff]
    filterset_fields = ["role__code", "band", "status", "gender"]

    def get_queryset(self):
        return practitioners_for(self.request.user).prefetch_related(
            "competences", "settings_experience", "preferred_settings"
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_fields, profile = _split_user_fields(dict(serializer.validated_data))
        practitioner = services.create_practitioner(
            actor=request.user, user_fields=user_fields, profile_fields=profile, request=request
        )
        return Response(self.get_serializer(practitioner).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        user_fields, profile = _split_user_fields(dict(serializer.validated_data))
        user_fields.pop("username", None)
        practitioner = services.update_practitioner(
            actor=request.user, practitioner=instance, fields={**profile, **user_fields}, request=request
        )
        return Response(self.get_serializer(practitioner).data)


class MeApi(APIView):
    """A practitioner's own profile."""

    permission_classes = [IsPractitioner]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        practitioner = request.user.practitioner
        audit.record(
            actor=request.user,
            action="read",
            subject_type="practitioner",
            subject_id=practitioner.id,
            practitioner_id=practitioner.id,
            request=request,
        )
        return Response(MeSerializer(practitioner).data)

    @extend_schema(request=MeSerializer, responses={200: MeSerializer})
    def patch(self, request):
        practitioner = request.user.practitioner
        serializer = MeSerializer(practitioner, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user_fields, profile = _split_user_fields(dict(serializer.validated_data))
        user_fields.pop("username", None)
        practitioner = services.update_practitioner(
            actor=request.user, practitioner=practitioner, fields={**profile, **user_fields}, request=request
        )
        return Response(MeSerializer(practitioner).data)


class CredentialViewSet(
    _AuditedReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Practitioners add their own credentials (with evidence); agency staff read and verify them."""

    serializer_class = CredentialSerializer
    audit_subject = "credential"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["practitioner", "credential_type__code"]

    def get_permissions(self):
        if self.action == "create":
            return [IsPractitioner()]
        if self.action == "verify":
            return [IsAgencyStaff()]
        return [(IsAgencyStaff | IsPractitioner)()]

    def get_queryset(self):
        return credentials_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = services.add_credential(
            actor=request.user,
            practitioner=request.user.practitioner,
            fields=dict(serializer.validated_data),
            request=request,
        )
        return Response(self.get_serializer(credential).data, status=status.HTTP_201_CREATED)

    @documents_errors(409)  # already verified
    @extend_schema(request=None, responses={200: CredentialSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        credential = services.verify_credential(
            actor=request.user, credential=self.get_object(), request=request
        )
        return Response(self.get_serializer(credential).data)


class AvailabilityViewSet(viewsets.ModelViewSet):
    """Practitioners keep their own availability; agency staff read it."""

    serializer_class = AvailabilitySerializer
    filterset_fields = ["practitioner", "kind"]

    def get_permissions(self):
        if self.action in {"list", "retrieve"}:
            return [(IsAgencyStaff | IsPractitioner)()]
        return [IsPractitioner()]

    def get_queryset(self):
        return availability_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.add_availability(
            actor=self.request.user,
            practitioner=self.request.user.practitioner,
            fields=dict(serializer.validated_data),
            request=self.request,
        )

    def perform_destroy(self, instance):
        services.remove_availability(actor=self.request.user, availability=instance, request=self.request)
