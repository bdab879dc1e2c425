"""The sandbox's side of what it and the portal agree on: where each emulated provider lives and its OAuth client.

The sandbox registers these clients; the portal reads the same values from settings.SANDBOX_PROVIDER_APPS (it never
imports this package), and tests/sandbox/test_agreement.py keeps the two equal.
"""

from __future__ import annotations

# Path prefix of each emulated provider under SANDBOX_URL (default http://127.0.0.1:8001).
SANDBOX_PREFIXES = {"procore": "/procore", "autodesk": "/autodesk", "constructex": "/constructex"}

# OAuth client registered in the sandbox for each provider: (client_id, client_secret). Development only.
SANDBOX_CLIENTS = {
    "procore": ("portal-procore", "sandbox-procore-secret"),
    "autodesk": ("portal-autodesk", "sandbox-autodesk-secret"),
    "constructex": ("portal-constructex", "sandbox-constructex-secret"),
}

# The sandbox accepts any redirect URI on these hosts whose path is /oauth/<provider>/callback/ (tests run the portal
# on random ports); the token request must repeat the exact redirect URI the authorize request used.
SANDBOX_REDIRECT_HOSTS = ("127.0.0.1", "localhost")
