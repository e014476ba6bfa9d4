"""What the pages remember per user: saved queue filters (保存的筛选)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Saved queue filters per user, and the longest name and query kept.
MAX_SAVED_FILTERS = 20
NAME_MAX = 40
QUERY_MAX = 500


class SavedQueueFilter(models.Model):
    """A named queue filter of one user: the queue page's canonical query
    string (``QueueFilterForm.saved_query``). Only its owner sees, uses or
    deletes it; names are unique per user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_filters", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    query = models.CharField(_("query"), max_length=QUERY_MAX)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved queue filter")
        verbose_name_plural = _("saved queue filters")
        ordering = ["user_id", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_user_name")]

    def __str__(self) -> str:
        return self.name
