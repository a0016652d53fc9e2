from django.urls import path

from backend.accounts.apis import CurrentUserApi, TokenLoginApi, TokenLogoutApi

urlpatterns = [
    path("auth/token/", TokenLoginApi.as_view(), name="auth-token"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="auth-logout"),
    path("auth/user/", CurrentUserApi.as_view(), name="auth-user"),
]
