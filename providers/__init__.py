"""Provider accounts: the portal's OAuth apps, the accounts firm users connect, and the provider clients.

Use from elsewhere in the portal:
- `providers.registry.get_provider(name)` → a `providers.base.Provider` (OAuth, who-am-I, companies/hubs, projects,
  and the sync methods whose contract base.py fixes); `provider_label(name)` for words.
- `providers.errors`: the typed problems (each with a `message` for people; retryable ones carry `retry_after`).
- `providers.services`: `account_connect`, `account_get_access_token`, `account_refresh`, `account_revoke`.
- Inside the package, one direction: `tokens` (an account's tokens and noted problems) ← `base` and the provider
  modules ← `registry` ← `services`; a lower module is handed what it needs (`tokens` gets the provider to refresh
  with).
- `providers.selectors`: `provider_app_for`, `accounts_for_firm`, `account_get`.
- URLs: /oauth/<provider>/start/?next=<local url> and /oauth/<provider>/callback/. The connect wizard enters the start
  through its own `sign_in` (`?project=<pc_project_id>` is checked there); providers store only the return URL.
"""
