"""Return-visit tasks (回访) and satisfaction surveys (问卷) with their index snapshots.

The core records a visit (``workorders.ReturnVisit``) and reopens an order on
"unsatisfied"; this app adds the task around it (who must call, by when, every
attempt) and the survey side: questionnaires as data (constructs, indicators,
paths), responses and stored PLS results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from griddesk.customers.models import CustomerCategory
from griddesk.workorders.models import Channel, ReturnVisit

# ------------------------------------------------------------------ return visits


class Assignee(models.TextChoices):
    SPECIALIST = "specialist", _("Marketing service specialist")
    CUSTOMER_CENTER = "customer_center", _("Customer service center")


class VisitRule(models.Model):
    """Editable return-visit rule (one active row; seeded by a data migration)."""

    code = models.SlugField(_("code"), max_length=32, unique=True, default="default")
    due_working_days = models.PositiveSmallIntegerField(_("due within working days"), default=2)
    max_attempts = models.PositiveSmallIntegerField(
        _("failed attempts before unreachable"), default=3, help_text=_("After this many attempts that do not reach the customer the visit is closed as unreachable.")
    )
    assignee = models.CharField(_("assigned to"), max_length=20, choices=Assignee.choices, default=Assignee.SPECIALIST)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("return-visit rule")
        verbose_name_plural = _("return-visit rules")

    def __str__(self) -> str:
        return f"{self.code}: {self.due_working_days}d / {self.max_attempts}× / {self.assignee}"


class VisitTask(models.Model):
    """One return visit to make for an order (a new round after each reopen)."""

    class TaskState(models.TextChoices):
        # Contexts: the bare "Open" is a station task's 待反馈 in the project catalog.
        OPEN = "open", pgettext_lazy("return visit task", "Open")
        DONE = "done", pgettext_lazy("return visit task", "Done")

    order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE, related_name="visit_tasks")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    state = models.CharField(_("state"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN)
    assignee = models.CharField(_("assigned to"), max_length=20, choices=Assignee.choices)
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"))
    due_provisional = models.BooleanField(default=False)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=24, choices=ReturnVisit.Outcome.choices, blank=True)
    solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    customer_words = models.TextField(_("customer's words"), blank=True)
    visit = models.ForeignKey(ReturnVisit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(pgettext_lazy("visit task", "closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return-visit task")
        verbose_name_plural = _("return-visit tasks")
        constraints = [
            models.UniqueConstraint(fields=["order", "round"], name="visit_task_order_round"),
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(state="open"), name="visit_task_one_open"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="visit_task_state_due")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.round} ({self.state})"


class VisitAttempt(models.Model):
    """Append-only log of every contact attempt."""

    task = models.ForeignKey(VisitTask, on_delete=models.CASCADE, related_name="attempts")
    method = models.CharField(_("method"), max_length=10, choices=ReturnVisit.Method.choices)
    reached = models.BooleanField(_("customer reached"))
    note = models.TextField(_("note"), blank=True)
    client_key = models.CharField(max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["task_id", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "client_key"], condition=~models.Q(client_key=""), name="visit_attempt_client_key"
            )
        ]


# ------------------------------------------------------------------ questionnaires


class Scale(models.IntegerChoices):
    LIKERT5 = 5, _("Likert 1–5")
    LIKERT7 = 7, _("Likert 1–7")
    LIKERT10 = 10, _("1–10")


class MissingPolicy(models.TextChoices):
    LISTWISE = "listwise", _("Listwise deletion")
    MEAN = "mean", _("Mean imputation")


class Questionnaire(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scale_max = models.PositiveSmallIntegerField(_("scale"), choices=Scale.choices, default=Scale.LIKERT10)
    missing_policy = models.CharField(_("missing-data policy"), max_length=10, choices=MissingPolicy.choices, default=MissingPolicy.MEAN)
    max_missing_per_row = models.PositiveSmallIntegerField(
        _("max missing answers per response"), default=3, help_text=_("Responses missing more answers than this are rejected at import.")
    )
    index_construct = models.CharField(_("index construct"), max_length=16, default="CS", help_text=_("Code of the satisfaction construct."))
    bootstrap = models.PositiveIntegerField(_("bootstrap resamples"), default=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Construct(models.Model):
    """A latent variable (潜变量) of the model."""

    class Mode(models.TextChoices):
        A = "A", _("Mode A (reflective)")
        B = "B", _("Mode B (formative)")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="constructs")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(_("mode"), max_length=1, choices=Mode.choices, default=Mode.A)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("latent construct")
        verbose_name_plural = _("latent constructs")
        ordering = ["questionnaire_id", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="construct_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    """A question (观测变量) measuring one construct."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="indicators")
    construct = models.ForeignKey(Construct, verbose_name=_("construct"), on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=32, help_text=_("Column name in import files."))
    text = models.CharField(_("question"), max_length=300)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["questionnaire_id", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class PathLink(models.Model):
    """A structural path source → target between two constructs."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="paths")
    source = models.ForeignKey(Construct, verbose_name=_("from"), on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Construct, verbose_name=_("to"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("path")
        verbose_name_plural = _("paths")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "source", "target"], name="path_unique")]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"


class SurveyResponse(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", _("File import")
        API = "api", _("API")
        DEMO = "demo", _("Demo data")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    respondent = models.CharField(_("respondent"), max_length=64)
    area = models.ForeignKey(
        "organisation.Department", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_category = models.CharField(_("customer category"), max_length=20, choices=CustomerCategory.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    answered_on = models.DateField(_("answered on"))
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey("workorders.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: {indicator code: int or null}
    answers = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "respondent"], name="response_respondent")]
        indexes = [models.Index(fields=["questionnaire", "answered_on"], name="response_q_date")]


class SurveyImport(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    #: {"errors": [{"row", "field", "code", "message"}], "warnings": [...]}
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]


class IndexSnapshot(models.Model):
    """A stored PLS result for (questionnaire, period, segment)."""

    class SnapState(models.TextChoices):
        PENDING = "pending", _("Computing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="snapshots")
    #: "2026-10" (month), "2026-Q4", "2026" or "" (all responses).
    period = models.CharField(max_length=10, blank=True)
    #: "" or "area=east", "customer_category=residential", "channel=95598"
    segment = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, choices=SnapState.choices, default=SnapState.PENDING)
    n = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    message = models.TextField(blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["questionnaire", "period", "segment", "state"], name="snapshot_lookup")]
        verbose_name = _("index snapshot")
        verbose_name_plural = _("index snapshots")
        constraints = [
            # At most one queued (pending) computation per questionnaire, period and segment:
            # a second request gets the one already queued (satisfaction.index.index_queue).
            models.UniqueConstraint(
                fields=["questionnaire", "period", "segment"],
                condition=models.Q(state="pending"),
                name="snapshot_one_pending",
            ),
        ]


class AhpWeighting(models.Model):
    """An administrator's AHP pairwise-comparison matrix for a questionnaire's
    drivers (constructs) and the weights it gives. A new matrix is a new row
    (the previous one is deactivated), so the history stays; only matrices
    with CR < 0.1 are stored."""

    class Method(models.TextChoices):
        EIGEN = "eigen", _("Principal eigenvector")
        GEOMETRIC = "geometric", _("Geometric mean")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="weightings")
    #: construct codes, in matrix order
    labels = models.JSONField(_("drivers"))
    #: n × n reciprocal matrix (a_ij: how much more important i is than j, Saaty 1–9)
    matrix = models.JSONField(_("pairwise comparison matrix"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.EIGEN)
    weights = models.JSONField(_("weights"), default=dict)
    lambda_max = models.FloatField(default=0)
    ci = models.FloatField(default=0)
    cr = models.FloatField(_("consistency ratio"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("AHP driver weighting")
        verbose_name_plural = _("AHP driver weightings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire"], condition=models.Q(active=True), name="ahp_one_active")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}: {', '.join(self.labels or [])} (CR {self.cr:.3f})"
