from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by support staff: nobody signs up on their own."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
