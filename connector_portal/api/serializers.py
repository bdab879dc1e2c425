"""Serializer bases for the API: unknown fields are refused (a typo must not be silently ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail


def _unknown_fields(serializer: serializers.Serializer, data: Any) -> dict[str, list[ErrorDetail]]:
    if not isinstance(data, Mapping):
        return {}  # DRF itself answers "expected an object"
    known = set(serializer.fields)
    return {
        str(name)[:100]: [ErrorDetail("Unknown field: this API does not accept it.", code="unknown_field")]
        for name in data
        if name not in known
    }


class StrictSerializerMixin:
    """Refuses fields the serializer does not declare, listing each one. Read-only fields are accepted and ignored."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = _unknown_fields(self, data)  # type: ignore[arg-type]
        if unknown:
            raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    pass


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documented on every operation)."""

    code = serializers.CharField(help_text="A stable word to switch on, e.g. `not_found`, `invalid`, `throttled`.")
    message = serializers.CharField(help_text="What happened and what to do next, in plain words.")
    details = serializers.DictField(
        help_text="Specifics: per-field messages for `invalid`, `retry_after_seconds` for `throttled`, ..."
    )
