from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "backend.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners"
