from rest_framework.routers import SimpleRouter

from .views import ApiKeyViewSet, DepartmentViewSet, EmployeeViewSet, UserViewSet

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("departments", DepartmentViewSet, basename="department")
router.register("api-keys", ApiKeyViewSet, basename="apikey")
router.register("employees", EmployeeViewSet, basename="employee")
