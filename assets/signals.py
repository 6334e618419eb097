"""Cache bust only (STYLE R8): asset writes invalidate cached list counts/anchors."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .listcache import bump_asset_list_version
from .models import Asset


@receiver(post_save, sender=Asset, dispatch_uid="assets-list-version-save")
@receiver(post_delete, sender=Asset, dispatch_uid="assets-list-version-delete")
def asset_changed(sender, **kwargs) -> None:
    bump_asset_list_version()
