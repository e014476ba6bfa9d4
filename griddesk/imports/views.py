"""Upload a file of work orders, watch it run, download the per-row error report."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from griddesk.common import spreadsheets
from griddesk.common.errors import Forbidden, InvalidInput
from griddesk.organisation.access import Actor, actor_for

from . import files, selectors, services
from .models import ImportJob

#: How many error rows the page lists; the CSV download has them all.
ERRORS_SHOWN = 200


def _actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    job = selectors.import_job_get(_actor(request), pk)
    if job is None:
        raise Http404(_("Import %(id)s was not found.") % {"id": pk})
    return job


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        services.raise_if_not_intake(actor)
    except Forbidden as exc:
        return _forbidden(request, exc.message)
    error = ""
    error_code = ""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, error_code, status = _("Choose a CSV or XLSX file to import."), "required", 400
        else:
            try:
                job = services.import_job_create(
                    actor=actor, filename=upload.name or "", data=files.read_upload(upload), language=get_language() or ""
                )
            except InvalidInput as exc:
                error, error_code, status = exc.message, exc.code, 400
            except Forbidden as exc:
                return _forbidden(request, exc.message)
            else:
                return redirect("imports:job", pk=job.pk)
    context = {
        "jobs": selectors.import_job_list(actor),
        "error": error,
        "error_code": error_code,
        "columns": files.COLUMNS,
        "required_columns": files.REQUIRED_COLUMNS,
        "max_rows": files.MAX_ROWS,
    }
    return render(request, "imports/index.html", context, status=status)


def _job_context(job: ImportJob) -> dict[str, object]:
    return {"job": job, "errors": job.errors[:ERRORS_SHOWN], "more_errors": max(0, len(job.errors) - ERRORS_SHOWN)}


@login_required
@require_GET
def job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html", _job_context(_job_or_404(request, pk)))


@login_required
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the job page that HTMX polls every second until the job ends."""
    return render(request, "imports/_progress.html", _job_context(_job_or_404(request, pk)))


def _csv_response(rows: object, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:  # type: ignore[attr-defined]
        writer.writerow([spreadsheets.neutralise(v) for v in row])
    # UTF-8 with a byte-order mark so that Excel opens the Chinese text correctly.
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    return _csv_response(services.error_rows(job), f"import-{job.pk}-errors.csv")


@login_required
@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    return _csv_response(services.template_rows(), "griddesk-import-template.csv")
