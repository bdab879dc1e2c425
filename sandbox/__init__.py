"""A local emulator of Procore, Autodesk and ConstructEx, run as its own process (demos and end-to-end tests).

Not part of the product: nothing in connector_portal, providers, mappings or projects imports it. It is a Django app
only for its management commands (`run_sandbox`, `sandbox_seed`, `sandbox_control`, `run_dev`), listed in
INSTALLED_APPS when PROVIDER_SANDBOX is on. The portal finds it through settings (SANDBOX_URL and
SANDBOX_PROVIDER_APPS); `constants.py` holds the sandbox's side of that agreement.
"""
