"""Writes of the pages' own per-user data: saved queue filters (保存的筛选)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput, NotFound
from griddesk.common.validation import _CONTROL

from .models import MAX_SAVED_FILTERS, NAME_MAX, QUERY_MAX, SavedQueueFilter


@transaction.atomic
def queue_filter_save(*, user: Any, name: str, query: str) -> SavedQueueFilter:
    """Save ``query`` (the queue form's canonical query string) under ``name``
    for ``user``. Names are unique per user (case as typed), at most
    ``MAX_SAVED_FILTERS`` per user; the user's row is locked so two saves at
    once cannot both pass the count."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Give the filter a name."), code="required", field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_("A filter name may be at most 40 characters long."), code="too_long", field="name")
    if _CONTROL.search(name):
        raise InvalidInput(_("Contains control characters."), code="control_characters", field="name")
    if not query:
        raise InvalidInput(
            _("There is no filter to save: choose a state, type, grade, deadline or search first."),
            code="empty_filter", field="query",
        )
    if len(query) > QUERY_MAX:
        raise InvalidInput(_("This filter is too long to save."), code="too_long", field="query")
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    mine = SavedQueueFilter.objects.filter(user=user)
    if mine.filter(name=name).exists():
        raise InvalidInput(
            _("You already have a filter named “%(name)s”.") % {"name": name}, code="duplicate_name", field="name"
        )
    if mine.count() >= MAX_SAVED_FILTERS:
        raise InvalidInput(
            _("You can keep at most 20 saved filters; delete one first."), code="too_many", field="name"
        )
    return SavedQueueFilter.objects.create(user=user, name=name, query=query)


@transaction.atomic
def queue_filter_delete(*, user: Any, filter_id: int) -> None:
    """Delete one of ``user``'s saved filters; another user's is the same 404 as none."""
    deleted, _rows = SavedQueueFilter.objects.filter(user=user, pk=filter_id).delete()
    if not deleted:
        raise NotFound(_("This saved filter was not found."), code="not_found")
