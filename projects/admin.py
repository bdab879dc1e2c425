from django.contrib import admin

from connector_portal.audit_admin import AuditedAdmin
from projects.models import ProjectCenterProject


@admin.register(ProjectCenterProject)
class ProjectCenterProjectAdmin(AuditedAdmin):
    list_display = ["__str__", "pc_project_id", "firm", "created_at"]
    list_filter = ["firm"]
    list_select_related = ["firm"]
    search_fields = ["name", "number", "pc_project_id", "firm__name"]
    autocomplete_fields = ["firm"]
