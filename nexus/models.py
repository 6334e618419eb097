"""Abstract bases shared by every app, and the project-wide counter."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Sequence(models.Model):
    """A named counter that hands out increasing numbers (see nexus.sequences)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
