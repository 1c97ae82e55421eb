from django.apps import AppConfig


class WflmConfig(AppConfig):
    """The project itself, as an app: its system checks."""

    name = "wflm"
    verbose_name = "WFLM archive"

    def ready(self):
        from wflm import checks  # noqa: F401 (registers the checks)
