from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.practitioners.models import Credential
from backend.practitioners.serializers import MAX_EVIDENCE_BYTES
from tests.api.world import build_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _post(client, **extra):
    body = {"credential_type": "pmva_rrn", "issued_on": "2026-02-01", "expires_on": "2027-02-01", **extra}
    return client.post("/api/v1/credentials/", body, format="multipart")


def test_practitioner_uploads_a_pdf_certificate(world, client_for):
    pdf = SimpleUploadedFile("pmva.pdf", b"%PDF-1.7\n...", content_type="application/pdf")

    response = _post(client_for(world.practitioner_x.user), evidence=pdf)

    assert response.status_code == 201
    credential = Credential.objects.get(id=response.json()["id"])
    assert (credential.practitioner_id, credential.credential_type.code, credential.is_verified) == (
        world.practitioner_x.id,
        "pmva_rrn",
        False,
    )
    assert credential.evidence.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content"),
    [("pmva.exe", b"MZ\x90\x00"), ("pmva.pdf", b"<html>not a pdf</html>"), ("pmva.docx", b"PK\x03\x04")],
)
def test_evidence_that_is_not_a_pdf_or_image_is_refused(world, client_for, name, content):
    upload = SimpleUploadedFile(name, content)
    before = Credential.objects.filter(practitioner=world.practitioner_x).count()

    response = _post(client_for(world.practitioner_x.user), evidence=upload)

    assert response.status_code == 400
    assert "evidence" in response.json()["extra"]["fields"]
    assert Credential.objects.filter(practitioner=world.practitioner_x).count() == before


def test_evidence_over_five_megabytes_is_refused(world, client_for):
    upload = SimpleUploadedFile("pmva.pdf", b"%PDF-1.7\n" + b"0" * MAX_EVIDENCE_BYTES)
    before = Credential.objects.count()

    response = _post(client_for(world.practitioner_x.user), evidence=upload)

    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"evidence": ["Evidence files must be 5 MB or smaller."]}
    assert Credential.objects.count() == before


def test_expiry_before_issue_is_refused(world, client_for):
    response = _post(client_for(world.practitioner_x.user), expires_on="2025-01-01")

    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "expires_on": ["Expiry must be on or after the issue date."]
    }


def test_practitioner_sees_only_their_own_credentials(world, client_for):
    listed = client_for(world.practitioner_y.user).get("/api/v1/credentials/").json()

    assert listed["results"] == []
