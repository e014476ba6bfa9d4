"""Who is acting: the role and department of a user."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied

from griddesk.engines.workflow import Role

from .models import Department, StaffProfile
from .selectors import department_company


@dataclass
class Actor:
    user: User  # the project keeps Django's user model (AUTH_USER_MODEL unset)
    role: Role | None
    department: Department | None

    @cached_property
    def company(self) -> Department | None:
        return department_company(self.department) if self.department else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def actor_for(user: AbstractBaseUser | AnonymousUser) -> Actor:
    cached = getattr(user, "_griddesk_actor", None)
    if cached is not None:
        return cached
    profile = StaffProfile.objects.select_related("department").filter(user_id=user.pk).first() if user.pk else None
    return attach_actor(user, profile.role if profile else None, profile.department if profile else None)


def signed_in_user_id(user: AbstractBaseUser | AnonymousUser) -> int:
    """The id of the signed-in user, for views behind ``login_required`` or
    ``IsAuthenticated`` (an anonymous user there is refused, never looked up)."""
    if user.pk is None:
        raise PermissionDenied
    return int(user.pk)


def attach_actor(user: AbstractBaseUser | AnonymousUser, role: str | None, department: Department | None) -> Actor:
    """The Actor of a user with this staff role and department (no profile:
    superusers act as administrators, others have no role), cached on the user
    so ``actor_for`` does not ask again."""
    if role is not None:
        actor = Actor(user=user, role=Role(role), department=department)  # type: ignore[arg-type]
    elif getattr(user, "is_superuser", False):
        actor = Actor(user=user, role=Role.ADMIN, department=None)  # type: ignore[arg-type]
    else:
        actor = Actor(user=user, role=None, department=None)  # type: ignore[arg-type]
    user._griddesk_actor = actor  # type: ignore[union-attr]
    return actor
