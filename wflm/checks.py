"""System checks that `manage.py check --deploy` adds to Django's own."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_from_the_environment(app_configs, **kwargs):
    # The key generated into var/secret_key is for local use: a production
    # key must be set, kept and rotated by whoever runs the site.
    if settings.HTTPS and not settings.SECRET_KEY_FROM_ENVIRONMENT:
        return [
            Error(
                "SECRET_KEY is not set: HTTPS=on (production) needs a SECRET_KEY in the environment, "
                "not the local key generated into var/secret_key.",
                hint="export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')",
                id="wflm.E001",
            )
        ]
    return []
