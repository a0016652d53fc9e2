from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import lockout
from backend.accounts.throttles import AtomicScopedRateThrottle
from backend.core import audit
from backend.core.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status = 400
    # One message for an unknown user and a wrong password: never reveal which usernames exist.
    default_message = "Username or password is incorrect."


class TokenLoginApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AtomicScopedRateThrottle]
    throttle_scope = "login"

    class LoginInputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(
        request=LoginInputSerializer,
        responses={200: inline_serializer("TokenOut", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        payload = self.LoginInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        username = payload.validated_data["username"]
        if not lockout.claim_attempt(username=username, request=request):
            # The same answer as a wrong password: a lockout must not confirm the guesses were close.
            lockout.record_failed_login(username, request, locked_out=True)
            raise InvalidCredentials()
        user = authenticate(request, **payload.validated_data)
        if user is None:
            lockout.record_failed_login(username, request, locked_out=False)
            raise InvalidCredentials()
        lockout.clear_attempts(username=username, request=request)
        token, _ = Token.objects.get_or_create(user=user)
        audit.record(actor=user, action="login", subject_type="user", subject_id=user.id, request=request)
        return Response({"token": token.key})


class TokenLogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentUserApi(APIView):
    permission_classes = [IsAuthenticated]

    class CurrentUserSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        kind = serializers.CharField()
        trust = serializers.IntegerField(source="trust_id", allow_null=True)
        agency = serializers.IntegerField(source="agency_id", allow_null=True)
        wards = serializers.SerializerMethodField()
        is_agency_admin = serializers.BooleanField()

        def get_wards(self, user) -> list[int]:
            return sorted(user.wards.values_list("id", flat=True))

    @extend_schema(responses={200: CurrentUserSerializer})
    def get(self, request):
        return Response(self.CurrentUserSerializer(request.user).data)
