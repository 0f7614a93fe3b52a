"""Evidence uploads: the state and the limit are checked before anything is stored, and a failure
after storing leaves neither a file nor a row behind."""

from __future__ import annotations

import pytest
from django.test.client import MULTIPART_CONTENT

from qifu.core import requestinfo, tenancy
from qifu.core.files_models import StoredFile
from qifu.marketplace.models import Application, ApplicationFile
from qifu.marketplace.services import applications
from qifu.marketplace.tests.conftest import apply, pdf


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _stored(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _evidence_count(cast) -> tuple[int, int]:
    with tenancy.tenant_scope(cast.tenant):
        stored = StoredFile.objects.filter(purpose=applications.EVIDENCE_PURPOSE).count()
        return stored, ApplicationFile.objects.filter(kind="evidence").count()


def _post(client, pk, name="服务报告.pdf"):
    return client.post(
        f"marketplace/institution/applications/{pk}/evidence",
        {"file": pdf(name), "label": "服务报告"},
        content_type=MULTIPART_CONTENT,
    )


def test_refused_upload_stores_nothing(cast, api, market, media):
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    before = _stored(media)  # the applicant's material

    r = _post(operator, pk)  # not accepted yet
    assert r.status_code == 422 and r.json()["code"] == "marketplace.application_state"
    assert _stored(media) == before and _evidence_count(cast) == (0, 0)

    # Another institution gets a 404 and stores nothing either.
    assert _post(api(market.other_admin), pk).status_code == 404
    assert _stored(media) == before and _evidence_count(cast) == (0, 0)

    # Once accepted, the same upload is stored; over the limit, nothing more is.
    operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    assert _post(operator, pk).status_code == 201
    assert len(_stored(media)) == len(before) + 1 and _evidence_count(cast) == (1, 1)
    with tenancy.tenant_scope(cast.tenant):
        app = Application.objects.get(pk=pk)
        item = ApplicationFile.objects.get(kind="evidence")
        for _ in range(applications.MAX_EVIDENCE - 1):
            ApplicationFile.objects.create(application=app, kind="evidence", label="x", file=item.file)
    full = _stored(media)
    r = _post(operator, pk)
    assert r.status_code == 422 and r.json()["code"] == "marketplace.evidence_too_many"
    assert _stored(media) == full and _evidence_count(cast) == (1, applications.MAX_EVIDENCE)


@pytest.mark.parametrize("failing", ["file.upload", "marketplace.application.evidence"])
def test_failure_after_storing_deletes_the_file(cast, api, market, media, monkeypatch, failing):
    """Whether the file's own record or the attachment's audit entry fails, the written bytes go."""
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    before = _stored(media)

    real_record = applications.audit.record

    def failing_record(action, *args, **kwargs):
        if action == failing:
            raise RuntimeError("audit store unavailable")
        return real_record(action, *args, **kwargs)

    monkeypatch.setattr(applications.audit, "record", failing_record)
    with tenancy.tenant_scope(cast.tenant), requestinfo.acting(user=cast.institution_operator):
        app = Application.objects.get(pk=pk)
        with pytest.raises(RuntimeError):
            applications.upload_evidence(app, pdf(), label="服务报告")
    assert _stored(media) == before  # the bytes written before the failure are gone
    assert _evidence_count(cast) == (0, 0)  # and the rows rolled back
