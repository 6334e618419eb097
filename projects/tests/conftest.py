import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role

# The smallest valid PNG: magic bytes, IHDR, IDAT, IEND.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def png_upload():
    def _make(name="shot.png", content=PNG_BYTES):
        return SimpleUploadedFile(name, content, content_type="image/png")

    return _make


@pytest.fixture
def manager_user(make_user):
    return make_user(Role.MANAGER)


@pytest.fixture
def png_file():
    return io.BytesIO(PNG_BYTES)
