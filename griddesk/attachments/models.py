"""Evidence files on work orders (附件): photos, call recordings, documents.

An attachment is immutable once written: no service edits or deletes one (an
archived order's attachments are part of its record). Downloads are logged in
``AttachmentAccess`` (append-only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Default upload limit when no rule row exists (the issue's 20 MB).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class Stage(models.TextChoices):
    ORDER = "order", _("Order (intake)")
    STATION_FINDINGS = "station_findings", _("Station findings")
    REPORT = "report", _("Investigation report")
    RETURN_VISIT = "return_visit", _("Return visit")


class Kind(models.TextChoices):
    IMAGE = "image", _("Photo")
    AUDIO = "audio", _("Recording")
    DOCUMENT = "document", _("Document")


class AttachmentRule(models.Model):
    """Editable upload limits (one row, edited in the admin; edits audited in
    ``workorders.RuleChange``). Without a row the defaults apply."""

    max_bytes = models.PositiveBigIntegerField(
        _("largest file (bytes)"), default=DEFAULT_MAX_BYTES, help_text=_("Uploads larger than this are refused.")
    )
    max_pixels = models.PositiveBigIntegerField(
        _("largest image (pixels)"),
        default=50_000_000,
        help_text=_("Images with more pixels are refused as possible decompression bombs."),
    )

    class Meta:
        verbose_name = _("attachment rule")
        verbose_name_plural = _("attachment rules")

    def __str__(self) -> str:
        return f"≤ {self.max_bytes} B, ≤ {self.max_pixels} px"


class Attachment(models.Model):
    order = models.ForeignKey(
        "workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.PROTECT, related_name="attachments"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.ORDER)
    note = models.CharField(_("note"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), max_length=255)
    thumbnail = models.FileField(_("thumbnail"), max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True)
    gps_lat = models.FloatField(_("latitude (EXIF)"), null=True, blank=True)
    gps_lon = models.FloatField(_("longitude (EXIF)"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_name = models.CharField(_("uploaded by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["order", "created_at"], name="attachment_order_idx")]

    def __str__(self) -> str:
        return self.filename


class AttachmentAccess(models.Model):
    """Append-only log of downloads (content or thumbnail)."""

    class Variant(models.TextChoices):
        CONTENT = "content", _("file")
        THUMBNAIL = "thumbnail", _("thumbnail")

    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150, blank=True)
    variant = models.CharField(max_length=10, choices=Variant.choices, default=Variant.CONTENT)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment download")
        verbose_name_plural = _("attachment downloads")
        ordering = ["-at"]
