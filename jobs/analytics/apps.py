from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "jobs.analytics"
    label = "analytics"
    verbose_name = "Fill-rate and continuity analytics"
