from django.urls import path

from backend.web import practitioner_views, trust_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("roles/", practitioner_views.roles, name="roles"),
    path("offers/", practitioner_views.offers, name="offers"),
    path("offers/<int:offer_id>/accept/", practitioner_views.accept, name="offer-accept"),
    path("offers/<int:offer_id>/decline/", practitioner_views.decline, name="offer-decline"),
    path("shortfalls/", trust_views.shortfalls, name="shortfalls"),
    path("shortfalls/new/", trust_views.shortfall_new, name="shortfall-new"),
    path("shortfalls/status/", trust_views.shortfalls_status, name="shortfalls-status"),
]
