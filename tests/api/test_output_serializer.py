"""The one-shape serializer renders a field from the subclass's own getter or its source, never from DRF's methods."""

from __future__ import annotations

from types import SimpleNamespace

from rest_framework import serializers

from connector_portal.api.serializers import OutputSerializer


class Reading(OutputSerializer):
    value = serializers.IntegerField()  # DRF's Serializer has get_value(); it must not be taken for this field's getter
    initial = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # DRF takes declared fields off the class

    def get_label(self, instance: SimpleNamespace) -> str:
        return f"{instance.value} {instance.initial}"


def test_fields_named_like_drfs_own_methods_read_the_instance() -> None:
    answer = Reading(SimpleNamespace(value=7, initial="kg")).data

    assert answer == {"value": 7, "initial": "kg", "label": "7 kg"}
