# Sign-up phone numbers: plain CharField → EncryptedTextField, existing rows encrypted in place.

from django.db import migrations

import qifu.core.fields


def encrypt_existing(apps, schema_editor):
    """Rows written before this migration hold the number in plain text: encrypt them.

    Read and written with raw SQL: the model field would try to decrypt the plain value.
    A value that already decrypts (a re-run) is left as it is.
    """
    from cryptography.fernet import InvalidToken

    from qifu.core.fields import _fernet

    fernet = _fernet()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, phone FROM content_signup WHERE phone <> ''")
        rows = cursor.fetchall()
        for pk, value in rows:
            try:
                fernet.decrypt(value.encode())
                continue
            except InvalidToken:
                pass
            token = fernet.encrypt(value.encode()).decode()
            cursor.execute("UPDATE content_signup SET phone = %s WHERE id = %s", [token, pk])


def decrypt_existing(apps, schema_editor):
    """Back to plain text before the column returns to a 20-character CharField."""
    from cryptography.fernet import InvalidToken

    from qifu.core.fields import _fernet

    fernet = _fernet()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, phone FROM content_signup WHERE phone <> ''")
        for pk, value in cursor.fetchall():
            try:
                plain = fernet.decrypt(value.encode()).decode()
            except InvalidToken:
                continue
            cursor.execute("UPDATE content_signup SET phone = %s WHERE id = %s", [plain[:20], pk])


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="signup",
            name="phone",
            field=qifu.core.fields.EncryptedTextField(verbose_name="联系电话"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
