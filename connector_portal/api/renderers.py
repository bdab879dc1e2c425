"""The browsable API's renderer: a write form starts from the answer only when its own serializer rendered it."""

from __future__ import annotations

from typing import Any

from rest_framework import renderers
from rest_framework.request import Request
from rest_framework.utils.serializer_helpers import ReturnDict


def _form_data(data: Any, view: Any) -> Any:
    # DRF prefills a PUT form with the instance behind the answer. An answer rendered by another serializer (an
    # OutputSerializer, say, while the view's serializer_class is its request body) has an instance the form's
    # serializer cannot read, so the form starts empty, as it does after an answer that is a plain dict.
    form_serializer = getattr(view, "serializer_class", None)
    if isinstance(data, ReturnDict) and (form_serializer is None or not isinstance(data.serializer, form_serializer)):
        return dict(data)
    return data


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def get_raw_data_form(self, data: Any, view: Any, method: str, request: Request) -> Any:
        return super().get_raw_data_form(_form_data(data, view), view, method, request)

    def get_rendered_html_form(self, data: Any, view: Any, method: str, request: Request) -> Any:
        return super().get_rendered_html_form(_form_data(data, view), view, method, request)
