"""django-axes's admin, with its one action behind the permission it needs."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ThrottledLoginsAdmin(AccessAttemptAdmin):
    # Cleaning up deletes attempts (and so lifts lockouts): not for view-only staff.
    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        return super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, ThrottledLoginsAdmin)
