"""System checks that keep production configuration honest."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_encryption_keys(app_configs, **kwargs):
    if settings.DEBUG or settings.NEXUS_FIELD_ENCRYPTION_KEYS:
        return []
    return [
        Error(
            "NEXUS_FIELD_ENCRYPTION_KEYS is not set.",
            hint="Generate one with: python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'",
            id="nexus.E001",
        )
    ]
