"""What a browser needs from an HTML page to go on: its forms (fields, choices and their labels), links and alerts.

Only for driving the portal's and the provider sandbox's own server-rendered pages (demo_connect); not a general parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_ALERT_CLASSES = {"error", "errors", "field-error", "warning"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Choice:
    name: str
    value: str
    label: str = ""
    element_id: str = ""


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)  # radio buttons, to be picked by label
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def data(
        self, *, values: dict[str, str] | None = None, chosen: Choice | None = None, button: str = ""
    ) -> list[tuple[str, str]]:
        """What submitting it sends: its fields (`values` filled in), the chosen radio button, the pressed button."""
        values = values or {}
        kept = [(n, v) for n, v in self.fields if n not in values]
        pressed = [b for b in self.buttons if b[0] and b[1] == button]
        picked = [(chosen.name, chosen.value)] if chosen is not None else []
        return [*kept, *values.items(), *picked, *pressed[:1]]

    def choice(self, name: str, label_contains: str) -> Choice | None:
        wanted = label_contains.lower()
        return next((c for c in self.choices if c.name == name and wanted in c.label.lower()), None)

    def labels(self, name: str) -> list[str]:
        return [c.label for c in self.choices if c.name == name]


@dataclass
class Page:
    url: str
    status: int
    forms: list[Form]
    links: list[str]
    alerts: list[str]
    title: str

    def form_with(self, *, field_name: str, action_contains: str = "", method: str = "") -> Form | None:
        for form in self.forms:
            names = {n for n, _ in form.fields} | {c.name for c in form.choices}
            if field_name in names and action_contains in form.action and method in ("", form.method):
                return form
        return None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.alerts: list[str] = []
        self.title = ""
        self._labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._alert_depth = 0
        self._alert_text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _VOID:
            pass
        elif self._alert_depth:
            self._alert_depth += 1
        elif a.get("role") == "alert" or _ALERT_CLASSES & set(a.get("class", "").split()):
            self._alert_depth, self._alert_text = 1, []
        if tag == "title":
            self._in_title = True
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get").lower()))
        elif tag == "label":
            self._label_for, self._label_text = a.get("for", ""), []
        elif self.forms and "disabled" not in a:
            self._form_element(tag, a)

    def _form_element(self, tag: str, a: dict[str, str]) -> None:
        form, name = self.forms[-1], a.get("name", "")
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and kind == "radio":
            form.choices.append(Choice(name=name, value=a.get("value", "on"), element_id=a.get("id", "")))
        elif tag == "input" and kind == "checkbox":
            if "checked" in a:
                form.fields.append((name, a.get("value", "on")))
        elif tag == "input" and kind in ("submit", "button"):
            form.buttons.append((name, a.get("value", "")))
        elif tag == "input" and name:
            form.fields.append((name, a.get("value", "")))
        elif tag == "button":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "label" and self._label_for is not None:
            self._labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            if self.forms and self._select:
                self.forms[-1].fields.extend((self._select, v) for v in chosen[:1])
            self._select = None
        if self._alert_depth and tag not in _VOID:
            self._alert_depth -= 1
            if not self._alert_depth and (text := " ".join("".join(self._alert_text).split())):
                self.alerts.append(text)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._label_for is not None:
            self._label_text.append(data)
        if self._alert_depth:
            self._alert_text.append(data)

    def close(self) -> None:
        super().close()
        for form in self.forms:
            for choice in form.choices:
                choice.label = self._labels.get(choice.element_id, choice.value)


def page_read(*, url: str, status: int, html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Page(
        url=url,
        status=status,
        forms=reader.forms,
        links=reader.links,
        alerts=reader.alerts,
        title=" ".join(reader.title.split()),
    )
