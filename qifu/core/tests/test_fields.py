"""Encrypted fields: a value the keys cannot decrypt is an error, never a placeholder that a save
would write over the real value; several keys allow a key change without downtime."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from qifu.core import tenancy
from qifu.core.fields import FieldDecryptionError
from qifu.orgs.models import Enterprise

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ID_NUMBER = "11010519491231002X"


def _stored(enterprise) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_id_number FROM orgs_enterprise WHERE id = %s", [enterprise.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def written_with_old_key(cast, settings):
    with tenancy.tenant_scope(cast.tenant):
        enterprise = Enterprise.objects.get(pk=cast.enterprise_a.pk)  # read with the development key
        settings.QIFU_FIELD_KEY = OLD
        enterprise.save()  # written again with OLD
    return cast.enterprise_a


def test_a_value_the_key_cannot_decrypt_is_an_error_and_stays_intact(written_with_old_key, settings, cast):
    token = _stored(written_with_old_key)
    settings.QIFU_FIELD_KEY = NEW
    with tenancy.tenant_scope(cast.tenant), pytest.raises(FieldDecryptionError) as err:
        Enterprise.objects.get(pk=written_with_old_key.pk)
    assert "orgs.Enterprise.legal_rep_id_number cannot be decrypted with QIFU_FIELD_KEY" in str(err.value)
    assert _stored(written_with_old_key) == token  # nothing was read, so nothing can be saved back over it


def test_key_rotation_reads_old_values_and_writes_with_the_new_key(written_with_old_key, settings, cast):
    settings.QIFU_FIELD_KEY = f"{NEW},{OLD}"
    with tenancy.tenant_scope(cast.tenant):
        enterprise = Enterprise.objects.get(pk=written_with_old_key.pk)
        assert enterprise.legal_rep_id_number == ID_NUMBER
        enterprise.save()
    settings.QIFU_FIELD_KEY = NEW  # the old key retired
    with tenancy.tenant_scope(cast.tenant):
        assert Enterprise.objects.get(pk=written_with_old_key.pk).legal_rep_id_number == ID_NUMBER
