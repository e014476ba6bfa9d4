"""The one audit of rules as data: every administrator change to a rule (the
grading and routing rules, time limits, SLA policies, the calendar layer,
thresholds, risk settings, questionnaires, scoring rules …) is a ``RuleChange``
row with the model, the object, the change (create / update / delete / …), a
JSON snapshot before and after, the actor and the time.

- :func:`rule_save` / :func:`rule_delete`: save or delete a model instance and
  audit it (the Django admin's :class:`griddesk.common.admin.AuditedRuleAdmin`
  and the apps' services use them);
- :func:`record`: one audit row for a change a service makes itself (a calendar
  override, a confirmed year, a published scoring-rule version, a recompute
  summary);
- :func:`snapshot`: a row as JSON (times, dates and decimals as strings).

Side effects of a change (recomputing the deadlines after a policy or calendar
edit) stay with the app that owns them: the caller runs them after
``rule_save`` returns.

The ``RuleChange`` table belongs to the ``workorders`` app (its migrations);
this module names it by its app label (``apps.get_model``) so that the apps
below the core (``sla``) audit without importing the core.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction


def _model() -> Any:
    return apps.get_model("workorders", "RuleChange")


def _user(actor: Any) -> Any:
    """The user to record: an ``Actor`` (``.user``) or a user; None when unsaved/anonymous."""
    user = getattr(actor, "user", actor)
    return user if getattr(user, "pk", None) else None


def snapshot(instance: Any) -> dict[str, Any]:
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.forms.models import model_to_dict

    # Through JSON: times, decimals and dates (business hours, thresholds) as strings.
    return json.loads(json.dumps(model_to_dict(instance), cls=DjangoJSONEncoder))


def record(
    *, actor: Any, model: str, object_id: str, change: str, before: Any, after: Any, actor_id: int | None = None
) -> Any:
    """Write one audit row. ``actor``: an ``Actor``, a user or None; or pass
    ``actor_id`` (a background task that only knows the id)."""
    if actor_id is not None:
        return _model().objects.create(
            model=model, object_id=object_id, change=change, before=before, after=after, actor_id=actor_id
        )
    return _model().objects.create(
        model=model, object_id=object_id, change=change, before=before, after=after,
        actor=_user(actor) if actor is not None else None,
    )


@transaction.atomic
def rule_save(*, actor: Any, instance: Any, created: bool) -> Any:
    """Save an administrator's change to a rule and audit it (before/after)."""
    model = type(instance)
    before = None
    if not created and instance.pk is not None:
        old = model.objects.select_for_update().filter(pk=instance.pk).first()
        before = snapshot(old) if old is not None else None
    instance.save()
    record(
        actor=actor, model=model._meta.label, object_id=str(instance.pk),
        change="create" if created else "update", before=before, after=snapshot(instance),
    )
    return instance


@transaction.atomic
def rule_delete(*, actor: Any, instance: Any) -> None:
    record(
        actor=actor, model=type(instance)._meta.label, object_id=str(instance.pk),
        change="delete", before=snapshot(instance), after=None,
    )
    instance.delete()
