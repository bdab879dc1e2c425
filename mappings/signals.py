"""What the mappings app tells the apps above it (they connect; it never imports them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a keyword-list change has committed and released item kinds that were held for a project.
# Arguments: project (ProjectCenterProject), kinds (tuple of item kinds: "submittal", "rfi").
kinds_released = Signal()
