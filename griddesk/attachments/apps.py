from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "griddesk.attachments"
    label = "attachments"
    verbose_name = _("Attachments")

    def ready(self) -> None:
        # HEIC/HEIF photos (iPhones) through Pillow when pillow-heif is present.
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover - optional
            return
        register_heif_opener()
