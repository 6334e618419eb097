from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import PurchaseOrderStatus
from ..querysets import PurchaseOrderLineQuerySet, PurchaseOrderQuerySet


class PurchaseOrder(TimeStampedModel):
    """A customer's order for manufactured parts; travelers build its lines."""

    po_number = models.CharField(_("PO number"), max_length=50, unique=True)
    customer = models.ForeignKey(
        "companies.Company",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    order_date = models.DateField(_("order date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.OPEN,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_purchase_orders",
    )

    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        ordering = ("-order_date", "-pk")
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PurchaseOrderStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("order_date")),
                name="%(app_label)s_%(class)s_due_after_order",
            ),
        ]

    def __str__(self) -> str:
        return self.po_number

    def get_absolute_url(self) -> str:
        return reverse("manufacturing:traveler_list") + f"?purchase_order={self.pk}"


class PurchaseOrderLine(models.Model):
    """One ordered part (number, revision, quantity, price) on a purchase order."""

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    line = models.PositiveIntegerField(_("line"))
    part_number = models.CharField(_("part number"), max_length=100)
    revision = models.CharField(_("revision"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, default=0
    )

    objects = PurchaseOrderLineQuerySet.as_manager()

    class Meta:
        ordering = ("purchase_order", "line")
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "line"],
                name="%(app_label)s_%(class)s_line_unique",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="%(app_label)s_%(class)s_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.line} {self.part_number} {self.revision}".strip()
