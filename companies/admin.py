from django.contrib import admin

from .models import Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "account_number", "kind", "status", "plan")
    list_filter = ("kind", "status", "plan")
    search_fields = ("name", "account_number")
    list_select_related = ("plan",)
