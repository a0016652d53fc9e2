"""Content-Security-Policy on every response (Django 5.2 has no built-in CSP).

The pages load scripts and styles only from our own origin: htmx and site.css through staticfiles,
no inline <script>, no CDN; Swagger UI runs as SpectacularSwaggerSplitView, whose init script is a
separate file (its page keeps a few inline CSS rules: backend/core/apis.ApiDocsView relaxes
style-src there only). A view that sets the header itself is left alone.
"""

from __future__ import annotations

from django.conf import settings


def policy_header(**overrides: list[str]) -> str:
    """settings.CONTENT_SECURITY_POLICY as a header value, some directives replaced (keyword
    arguments spell the directive with underscores: style_src=[...])."""
    directives = {
        **settings.CONTENT_SECURITY_POLICY,
        **{name.replace("_", "-"): sources for name, sources in overrides.items()},
    }
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = policy_header()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
