"""``griddesk token USERNAME``: print the user's API token (creating it if needed)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print the REST API token of USERNAME, creating it if needed. Use it as 'Authorization: Token <key>'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        username = options["username"]
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create one with 'griddesk createsuperuser' or load 'griddesk demo'.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; an inactive user's token does not authenticate.")
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
