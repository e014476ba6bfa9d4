"""Service work orders, their append-only event log, and the rules as data."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from griddesk.engines.workflow import State


class OrderType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report (whistle-blowing)")
    OPINION = "opinion", _("Opinion")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    INQUIRY = "inquiry", _("Inquiry")
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    SERVICE_REQUEST = "service_request", _("Service request")
    PUBLIC_OPINION = "public_opinion", _("Public-opinion prevention")


class Channel(models.TextChoices):
    HOTLINE_95598 = "95598", _("95598 hotline")
    ONLINE = "online", _("Online (State Grid app / website)")
    WECHAT = "wechat", _("WeChat")
    ALIPAY = "alipay", _("Alipay")
    HALL = "hall", _("Business hall")
    GOV_12345 = "12345", _("12345 government hotline")
    MEDIA = "media", _("Media / public opinion")
    INSPECTION = "inspection", _("Inspection (open and covert)")


#: Channels through which a complaint arrives "beyond level" (越级).
ESCALATED_CHANNELS = frozenset({Channel.GOV_12345.value, Channel.MEDIA.value})


class StateChoice(models.TextChoices):
    RECEIVED = State.RECEIVED.value, _("Received")
    FORWARDED = State.FORWARDED.value, _("Forwarded to specialist")
    GRADED = State.GRADED.value, _("Graded")
    DISPATCHED = State.DISPATCHED.value, _("Dispatched")
    INVESTIGATING = State.INVESTIGATING.value, _("Investigating")
    REPORTED = State.REPORTED.value, _("Report submitted")
    FED_BACK = State.FED_BACK.value, _("Fed back")
    VISITED = State.VISITED.value, _("Return visit done")
    ASSESSED = State.ASSESSED.value, _("Assessed")
    ARCHIVED = State.ARCHIVED.value, _("Archived")
    INVALID = State.INVALID.value, _("Invalid")
    MERGED = State.MERGED.value, _("Merged")
    SUSPENDED = State.SUSPENDED.value, _("Suspended")


def event_action_choices() -> list[tuple[str, str]]:
    """The choices of ``WorkOrderEvent.action``: the declared actions
    (``griddesk.workorders.actions``), the intake and the clock's marks. A
    callable, so that a new action needs no migration."""
    from .actions import ActionChoice

    return list(ActionChoice.choices)


def __getattr__(name: str) -> object:
    # ``ActionChoice`` is built from the action declarations, which import these
    # models (their serializers' choices): it is read from there on first use.
    if name == "ActionChoice":
        from .actions import ActionChoice

        return ActionChoice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Complexity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    IMPORTANT = "important", _("Important / complex")


class Category(models.Model):
    """Two-level business category taxonomy (e.g. ``service`` → ``service.attitude``)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order_type = models.CharField(_("order type"), max_length=20, choices=OrderType.choices, default=OrderType.COMPLAINT)
    sort = models.PositiveIntegerField(_("sort"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("business category")
        verbose_name_plural = _("business categories")
        ordering = ["order_type", "sort", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    @property
    def top_code(self) -> str:
        return self.code.split(".", 1)[0]


class WorkOrder(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    external_id = models.CharField(_("95598 order id"), max_length=64, unique=True, null=True, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=OrderType.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200, blank=True)
    content = models.TextField(_("content"))
    remedy_sought = models.TextField(_("remedy sought"), blank=True)
    anonymous = models.BooleanField(_("anonymous / confidential"), default=False)
    # The number the caller gave at intake (an order keeps the number it was
    # called back on, whatever the customer record says later).
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, default="", db_default="")
    received_at = models.DateTimeField(_("received at"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders",
        db_index=False,  # led by wo_customer_received (customer, received_at)
    )
    company = models.ForeignKey(
        "organisation.Department", verbose_name=_("company"), on_delete=models.PROTECT, related_name="company_orders",
        db_index=False,  # led by wo_company_state_deadline
    )
    created_department = models.ForeignKey(
        "organisation.Department", verbose_name=_("created by department"), on_delete=models.PROTECT, related_name="created_orders",
        db_index=False,  # led by wo_created_state_deadline
    )
    # No index: nothing reads orders by their creating user (the queue goes by
    # created_department); the index only cost an insert per write (ADR 0015).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    state = models.CharField(_("state"), max_length=20, choices=StateChoice.choices, default=StateChoice.RECEIVED)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    complexity = models.CharField(_("complexity"), max_length=20, choices=Complexity.choices, default=Complexity.ORDINARY)
    suggested_grade = models.PositiveSmallIntegerField(_("suggested grade"), null=True, blank=True)
    suggested_complexity = models.CharField(max_length=20, choices=Complexity.choices, blank=True)
    suggestion_reasons = models.JSONField(default=list, blank=True)
    lead_departments = models.ManyToManyField(
        "organisation.Department", through="LeadAssignment", related_name="led_orders", blank=True
    )
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("provisional deadline"), default=False)
    # SLA (workorders.clock, policies from griddesk.sla): the handling policy applied, the overdue flag the
    # watcher sets, and suspension (挂起): the clock stops while suspended and
    # the suspended time (in the policy's unit) extends the deadline.
    sla_policy = models.CharField(_("SLA policy"), max_length=64, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    # The handling clock's start when it is not the receipt: a reopened order
    # (unsatisfied return visit, reopen) gets a new deadline from the reopen
    # time under the SLA policies. Null: the clock runs from ``received_at``.
    handling_started_at = models.DateTimeField(_("handling clock started at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspended_from = models.CharField(_("suspended from state"), max_length=20, blank=True)
    suspension_extension = models.PositiveIntegerField(
        _("suspension extension"), default=0,
        help_text=_("Suspended time added to the budget: working days or minutes, per the policy's kind."),
    )
    # The current stage's own limit (workorders.clock, engines.sla.stage_after):
    # forward (95598 station), grade (specialist) or fault repair's arrival;
    # "" when no stage clock runs. Watched like the handling deadline.
    stage = models.CharField(pgettext_lazy("current stage", "stage"), max_length=20, blank=True, default="", db_default="")
    stage_policy = models.CharField(_("stage SLA policy"), max_length=64, blank=True, default="", db_default="")
    stage_started_at = models.DateTimeField(_("stage started at"), null=True, blank=True)
    stage_deadline_at = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    stage_provisional = models.BooleanField(_("provisional stage deadline"), default=False, db_default=False)
    stage_overdue = models.BooleanField(_("stage overdue"), default=False, db_default=False)
    # Suspended time granted to the running stage (in its policy's unit), like
    # suspension_extension for the handling deadline: a fault repair suspended
    # before the crew arrived (customer not home) gets its arrival clock back.
    stage_extension = models.PositiveIntegerField(_("stage extension"), default=0, db_default=0)
    urge_count = models.PositiveIntegerField(_("urged"), default=0)
    escalated = models.BooleanField(_("escalated beyond level"), default=False)
    # repeat_of / merged_into: indexed only where set (partial indexes below) —
    # nearly every order has neither, and a full index took an entry per row
    # and an insert per non-HOT update (ADR 0015).
    repeat_of = models.ForeignKey(
        "self", verbose_name=_("repeat of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats",
        db_index=False,
    )
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged",
        db_index=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Optimistic lock: every state change is a compare-and-swap on this counter,
    # and the event written with it carries the same sequence number.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["state", "deadline_at"], name="wo_state_deadline"),
            models.Index(fields=["company", "state", "deadline_at"], name="wo_company_state_deadline"),
            models.Index(fields=["created_department", "state", "deadline_at"], name="wo_created_state_deadline"),
            models.Index(fields=["received_at"], name="wo_received"),
            models.Index(fields=["customer", "received_at"], name="wo_customer_received"),
            # The queue's ORDER BY deadline_at, id LIMIT n: walk the index instead
            # of sorting every visible order (11 s → 5 ms at 1M orders).
            models.Index(fields=["deadline_at", "id"], name="wo_deadline_id"),
            # The watcher's stage scan: only orders with a running stage clock.
            models.Index(fields=["stage_deadline_at"], condition=~models.Q(stage=""), name="wo_stage_deadline"),
            models.Index(fields=["repeat_of"], condition=models.Q(repeat_of__isnull=False), name="wo_repeat_of"),
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False), name="wo_merged_into"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def clock_start(self) -> datetime:
        """When the handling clock (the deadline's budget) started."""
        return self.handling_started_at or self.received_at


class OrderSearch(models.Model):
    """What an order is found by (``griddesk.engines.search`` tokens: numbers,
    text pairs, the customer's and caller's phones, name, address), one row per
    order, written by ``workorders.search`` in the transaction that changes what
    it is found by. Indexed per database (migration 0009): PostgreSQL a GIN
    index over the token array, SQLite the FTS5 table ``workorders_search_fts``."""

    order = models.OneToOneField(WorkOrder, primary_key=True, on_delete=models.CASCADE, related_name="+")
    tokens = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")


class LeadAssignment(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="lead_assignments")
    department = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="lead_assignments")
    primary = models.BooleanField(default=True)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "department"], name="lead_unique")]
        indexes = [models.Index(fields=["department", "order"], name="lead_dept_order")]


class StationTask(models.Model):
    class TaskState(models.TextChoices):
        OPEN = "open", pgettext_lazy("station task", "Open")
        DONE = "done", _("Findings returned")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="station_tasks")
    station = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="station_tasks")
    request_note = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    findings = models.TextField(blank=True)
    findings_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["station", "state"], name="task_station_state")]


class Report(models.Model):
    """The investigation report: findings, responsibility analysis, rectification."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="reports")
    findings = models.TextField(_("investigation findings"))
    responsibility = models.TextField(_("responsibility analysis"))
    responsible_department = models.ForeignKey(
        "organisation.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    company_at_fault = models.BooleanField(_("company at fault"))
    rectification = models.TextField(_("rectification measures"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)


class ReturnVisit(models.Model):
    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically_satisfied", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Unsatisfied")
        UNREACHABLE = "unreachable", _("Unreachable")

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat message")
        ONSITE = "onsite", _("On site")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="return_visits")
    method = models.CharField(max_length=10, choices=Method.choices)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    solved = models.BooleanField(null=True)
    customer_words = models.TextField(blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visited_at = models.DateTimeField(auto_now_add=True)


class Assessment(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assessments")
    on_time = models.BooleanField()
    company_at_fault = models.BooleanField(null=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)


class WorkOrderEvent(models.Model):
    """Append-only history: one row per action, written with the state change."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24, choices=event_action_choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="event_order_seq")]

    def save(self, *args: object, **kwargs: object) -> None:
        # Integrity guard, not business logic: history rows are never rewritten.
        if self.pk is not None:
            raise RuntimeError("work-order events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("work-order events are append-only")


class WorkOrderComment(models.Model):
    """An internal comment (内部备注) on an order, outside the workflow actions.

    Append-only like the events, but not an event: it changes neither the
    order's state nor its ``version`` (an action form opened before a comment
    still goes through), and it is staff-only (never shown to customers).
    ``client_key`` makes a retried submission (API ``Idempotency-Key``, the
    page's form token) return the comment it already made."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments", verbose_name=_("work order"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("author")
    )
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"))
    body = models.TextField(_("comment"))
    client_key = models.CharField(_("client key"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("internal comment")
        verbose_name_plural = _("internal comments")
        ordering = ["order_id", "at", "pk"]
        indexes = [models.Index(fields=["order", "at"], name="comment_order_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "author", "client_key"], condition=~models.Q(client_key=""), name="comment_client_key"
            )
        ]

    def save(self, *args: object, **kwargs: object) -> None:
        # Integrity guard, not business logic: comments are never rewritten.
        if self.pk is not None:
            raise RuntimeError("work-order comments are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("work-order comments are append-only")


class NumberSequence(models.Model):
    """Per-prefix-and-day counters for human-readable order numbers."""

    key = models.CharField(max_length=32, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)


# ---------------------------------------------------------------- rules as data


class GradingRule(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    priority = models.PositiveIntegerField(_("priority"), help_text=_("Lower runs first."))
    grade = models.PositiveSmallIntegerField(_("grade"), choices=[(i, str(i)) for i in range(1, 5)])
    complexity = models.CharField(_("complexity"), max_length=20, choices=Complexity.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    order_types = models.JSONField(_("order types"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    sensitive_customer = models.BooleanField(_("sensitive customer"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated"), null=True, blank=True)
    repeat = models.BooleanField(_("repeat"), null=True, blank=True)
    any_of = models.BooleanField(_("match any condition"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grading rule")
        verbose_name_plural = _("grading rules")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} → {self.grade}"


class RoutingRule(models.Model):
    grade = models.PositiveSmallIntegerField(_("grade"), unique=True, choices=[(i, str(i)) for i in range(1, 5)])
    lead_types = models.JSONField(_("lead department types"), help_text=_("First is the primary lead."))

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["grade"]

    def __str__(self) -> str:
        return f"{self.grade} → {', '.join(self.lead_types)}"


class TimeLimitRule(models.Model):
    complexity = models.CharField(_("complexity"), max_length=20, choices=Complexity.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("time-limit rule")
        verbose_name_plural = _("time-limit rules")

    def __str__(self) -> str:
        return f"{self.complexity}: {self.working_days}"


class WorkflowRule(models.Model):
    """A switch of the workflow, editable by administrators and audited
    (``RuleChange``). A missing row means the rule's default."""

    class Code(models.TextChoices):
        FOUR_EYES_REPORTS = "four_eyes_reports", _("Four eyes on reports: the confirmer is not the submitter")

    #: Each rule's value when no row exists.
    DEFAULTS = {Code.FOUR_EYES_REPORTS.value: True}

    code = models.CharField(_("rule"), max_length=64, unique=True, choices=Code.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("workflow rule")
        verbose_name_plural = _("workflow rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_code_display()}: {'on' if self.enabled else 'off'}"


class RuleChange(models.Model):
    """Audit of every administrator change to a rule."""

    model = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    change = models.CharField(max_length=10)  # create / update / delete
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("rule change")
        verbose_name_plural = _("rule changes")
