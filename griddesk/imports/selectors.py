"""Reads: the import jobs a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from griddesk.engines.workflow import Role
from griddesk.organisation.access import Actor

from .models import ImportJob


def import_jobs_visible_to(actor: Actor) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.defer("data").select_related("created_by")
    if actor.role == Role.ADMIN:
        return qs
    if actor.role is None or not actor.user.pk:
        return qs.none()
    return qs.filter(created_by=actor.user.pk)


def import_job_list(actor: Actor, *, limit: int = 20) -> list[ImportJob]:
    return list(import_jobs_visible_to(actor).defer("errors")[:limit])


def import_job_get(actor: Actor, pk: int) -> ImportJob | None:
    return import_jobs_visible_to(actor).filter(pk=pk).first()
