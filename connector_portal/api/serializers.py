"""Serializer bases for the API: unknown fields and wrong types are refused (a typo must not be silently ignored)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

# What the schema says of every request string is what the code does, in a pattern both Python and ECMAScript read the
# same way: no NUL (PostgreSQL cannot store it; the parser refuses it), and where a field trims whitespace and must not
# be blank, at least one character that is not whitespace (exactly str.isspace(), which DRF's str.strip() removes:
# "\u0085" alone is blank, "\ufeff" is not).
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# "+", not "*": a field that may be blank is documented as oneOf this pattern or "", and "" must match only the second.
NO_NUL = RegexValidator(r"^[^\x00]+$", "NUL characters cannot be stored. Remove them.", code="invalid_text")
NOT_BLANK = RegexValidator(
    rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$",
    "This field may not be blank (whitespace alone is removed) and cannot hold NUL characters.",
    code="blank",
)


def _unknown_fields(serializer: serializers.Serializer, data: Any) -> dict[str, list[ErrorDetail]]:
    if not isinstance(data, Mapping):
        return {}  # DRF itself answers "expected an object"
    unknown = {}
    unknown_field = "Unknown field: this API does not accept it."
    for name in data:
        field = serializer.fields.get(name)
        if field is None:
            unknown[str(name)[:100]] = [ErrorDetail(unknown_field, code="unknown_field")]
        elif field.read_only:
            unknown[str(name)] = [ErrorDetail("Read-only field: leave it out of the request.", code="unknown_field")]
    return unknown


# DRF coerces 5 to "5" and "true" to True; the API promises JSON types, so a value of another type is refused.
JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean (true or false)"),
    (serializers.CharField, (str,), "a string"),
    (serializers.IntegerField, (int,), "an integer"),
)


def _wrong_types(serializer: serializers.Serializer, data: Mapping[str, Any]) -> dict[str, list[ErrorDetail]]:
    wrong = {}
    for name, value in data.items():
        field = serializer.fields.get(name)
        if field is None or value is None:
            continue  # unknown fields are reported apart; null is for the field's own allow_null to judge
        for field_type, python_types, words in JSON_TYPES:
            is_bool = isinstance(value, bool) and bool not in python_types
            if isinstance(field, field_type) and (is_bool or not isinstance(value, python_types)):
                wrong[name] = [ErrorDetail(f"Must be {words}.", code="wrong_type")]
    return wrong


def _too_long(serializer: serializers.Serializer, data: Mapping[str, Any]) -> dict[str, list[ErrorDetail]]:
    # The schema's maxLength counts the characters sent; DRF would count them after trimming whitespace.
    too_long = {}
    for name, value in data.items():
        field = serializer.fields.get(name)
        limit = getattr(field, "max_length", None)
        if isinstance(field, serializers.CharField) and isinstance(value, str) and limit and len(value) > limit:
            message = f"Ensure this field has no more than {limit} characters."
            too_long[name] = [ErrorDetail(message, code="max_length")]
    return too_long


def _text_validator(field: serializers.CharField) -> RegexValidator | None:
    if field.read_only or any(isinstance(v, RegexValidator) for v in field.validators):
        return None  # a field with its own pattern (e.g. a Project Center id) says it itself
    return NOT_BLANK if field.trim_whitespace and not field.allow_blank else NO_NUL


class StrictSerializerMixin:
    """Refuses fields the request may not set (undeclared or read-only), listing each one, and wrong JSON types;
    counts a string's length as sent; gives each string field the pattern of what it refuses (NO_NUL, NOT_BLANK).

    This is what the schema says too: every request body has `additionalProperties: false` (see schema_hooks).
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[misc]
        for field in fields.values():
            if isinstance(field, serializers.CharField) and (validator := _text_validator(field)):
                field.validators.append(validator)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        unknown = _unknown_fields(self, data)  # type: ignore[arg-type]
        if unknown:
            raise serializers.ValidationError(unknown)
        wrong = _wrong_types(self, data) if isinstance(data, Mapping) else {}  # type: ignore[arg-type]
        if wrong:
            raise serializers.ValidationError(wrong)
        too_long = _too_long(self, data) if isinstance(data, Mapping) else {}  # type: ignore[arg-type]
        if too_long:
            raise serializers.ValidationError(too_long)
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


# An answer's one shape: its declared fields document it in the schema and produce it.
#
# A field's value is `get_<field name>(instance)` when the serializer defines that method, else the field's `source`
# read from the instance as DRF reads it (attribute, key, method, or `"*"` for the instance itself); a nested serializer
# renders its part. Values are not converted field by field (the JSON renderer writes dates and times), so a feed page
# of a hundred entries renders in about a tenth of the time DRF's own conversion takes. (Comments, not docstrings: the
# schema would show a serializer's docstring as its description.)
class OutputSerializer(serializers.Serializer):
    def to_representation(self, instance: Any) -> dict[str, Any]:
        answer = {}
        for name, read, nested in self._plan():
            value = read(instance)
            answer[name] = nested.to_representation(value) if nested is not None and value is not None else value
        return answer

    def _plan(self) -> list[tuple[str, Callable[[Any], Any], serializers.BaseSerializer | None]]:
        plan = self.__dict__.get("_output_plan")
        if plan is None:  # once per serializer instance: a many=True child renders every row with the same plan
            plan = [
                (
                    name,
                    self._getter(name) or _reader(field.source_attrs),
                    field if isinstance(field, serializers.BaseSerializer) else None,
                )
                for name, field in self.fields.items()
            ]
            self.__dict__["_output_plan"] = plan
        return plan

    def _getter(self, name: str) -> Callable[[Any], Any] | None:
        """`get_<name>` when a subclass defines it; DRF's own methods (`get_value`, `get_initial`, …) never count."""
        for cls in type(self).__mro__:
            if cls is OutputSerializer:
                return None
            if f"get_{name}" in vars(cls):
                return getattr(self, f"get_{name}")
        return None


def _reader(attrs: list[str]) -> Callable[[Any], Any]:
    """Reads a field's source from an instance: through attributes or keys, calling a method at the end."""

    def read(instance: Any) -> Any:
        for attr in attrs:  # empty for source="*": the instance itself
            if instance is None:
                return None
            instance = instance[attr] if isinstance(instance, Mapping) else getattr(instance, attr)
        return instance() if callable(instance) else instance

    return read
