# Two-factor login, hardened: a session epoch on users (raising it ends their sessions) and the
# TOTP secrets encrypted at rest (TWO_FACTOR_ENCRYPTION_KEY, docs/security.md).

from django.db import migrations, models


def encrypt_plaintext_secrets(apps, schema_editor):
    """Encrypt every secret still stored as readable base32; tokens already encrypted are left
    alone, so running it twice changes nothing."""
    from wennuan.people.two_factor import encrypt_secret, is_plaintext_secret

    TwoFactorDevice = apps.get_model("people", "TwoFactorDevice")
    devices = [
        device
        for device in TwoFactorDevice.objects.only("pk", "encrypted_secret")
        if is_plaintext_secret(device.encrypted_secret)
    ]
    for device in devices:
        device.encrypted_secret = encrypt_secret(device.encrypted_secret)
    TwoFactorDevice.objects.bulk_update(devices, ["encrypted_secret"], batch_size=500)


def decrypt_secrets(apps, schema_editor):
    """The way back: every secret readable again, as before this migration."""
    from wennuan.people.two_factor import decrypt_secret, is_plaintext_secret

    TwoFactorDevice = apps.get_model("people", "TwoFactorDevice")
    devices = [
        device
        for device in TwoFactorDevice.objects.only("pk", "encrypted_secret")
        if not is_plaintext_secret(device.encrypted_secret)
    ]
    for device in devices:
        device.encrypted_secret = decrypt_secret(device.encrypted_secret)
    TwoFactorDevice.objects.bulk_update(devices, ["encrypted_secret"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0005_two_factor'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='session_epoch',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='session epoch'),
        ),
        migrations.RenameField(
            model_name='twofactordevice',
            old_name='secret',
            new_name='encrypted_secret',
        ),
        migrations.AlterField(
            model_name='twofactordevice',
            name='encrypted_secret',
            field=models.CharField(max_length=255, verbose_name='encrypted secret'),
        ),
        migrations.RunPython(encrypt_plaintext_secrets, decrypt_secrets),
    ]
