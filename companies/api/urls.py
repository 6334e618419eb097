from rest_framework.routers import SimpleRouter

from .views import (
    BillingSummaryViewSet,
    CompanyViewSet,
    CreditAccountViewSet,
    CreditTransactionViewSet,
    LocationViewSet,
    PlanViewSet,
    SupplierViewSet,
)

router = SimpleRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("billing_summary", BillingSummaryViewSet, basename="billing-summary")
router.register("plans", PlanViewSet, basename="plan")
router.register("locations", LocationViewSet, basename="location")
router.register("credit-accounts", CreditAccountViewSet, basename="credit-account")
router.register(
    "credit-transactions", CreditTransactionViewSet, basename="credit-transaction"
)
