from django.urls import path

from matching.apis import (
    AssignmentPreviewApi,
    PlacementHistoryImportApi,
    RolesForYouApi,
    ShortfallCandidatesApi,
)

urlpatterns = [
    path(
        "shortfalls/<int:id>/candidates/",
        ShortfallCandidatesApi.as_view(),
        name="shortfall-candidates",
    ),
    path("roles/", RolesForYouApi.as_view(), name="roles-for-you"),
    path(
        "practitioners/<int:id>/history/",
        PlacementHistoryImportApi.as_view(),
        name="placement-history-import",
    ),
    path("assignments/preview/", AssignmentPreviewApi.as_view(), name="assignment-preview"),
]
