"""The reusable mapping form and its table partial, as the configure and connection pages will use them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from connector_portal.models import Firm
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS
from mappings.forms import MappingForm
from mappings.selectors import response_keywords
from projects.models import ProjectLink
from projects.services.mapping import mapping_table_create_for_link, mapping_table_replace
from providers.types import ResponseOption


def render_table(form: MappingForm, **extra: object) -> str:
    return render_to_string("mappings/_mapping_table.html", {"mapping_form": form, **extra})


def test_a_new_links_form_is_prefilled_from_the_defaults_and_shows_current_names(
    firm: Firm, options: list[ResponseOption]
) -> None:
    renamed = [ResponseOption("13", "Info Only", "for record only") if o.id == "13" else o for o in options]

    form = MappingForm.for_new_link(firm=firm, provider="procore", keywords=DEFAULT_RESPONSE_KEYWORDS, options=renamed)
    html = render_table(form)

    assert form["keyword_0"].value() == "13"
    assert '<option value="13" selected>Info Only</option>' in html
    assert '<label for="id_mapping-keyword_0">No Action Taken</label>' in html
    assert 'aria-describedby="id_mapping-keyword_0-note"' in html and 'id="id_mapping-keyword_0-note"' in html
    assert '<th scope="col">Procore response</th>' in html


def test_a_posted_form_gives_the_choices_the_service_saves(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    keywords = response_keywords(project=link.project)
    data = {f"mapping-keyword_{i}": v for i, v in enumerate(["13", "11", "12", "11", "15", "15"])}

    form = MappingForm.for_table(data, table=table, keywords=keywords, options=options)
    assert form.is_valid()
    mapping_table_replace(table=table, choices=form.chosen(), options=options)

    assert table.rows.get(keyword="Rejected").response_name == "Revise and Resubmit"


def test_the_table_flags_a_renamed_and_a_vanished_response_on_their_rows(
    link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    today = [ResponseOption("11", "Accepted", "approved") if o.id == "11" else o for o in options if o.id != "14"]

    form = MappingForm.for_table(table=table, keywords=response_keywords(project=link.project), options=today)
    html = render_table(form)

    assert "Renamed from “Approved” to “Accepted” in Procore." in html
    assert (
        "“Rejected” is no longer offered by Procore for this project. Choose another response for “Rejected”." in html
    )
    assert form["keyword_4"].value() == ""  # nothing silently chosen in its place
    assert not form.is_bound


def test_service_errors_appear_beside_their_keyword(firm: Firm, options: list[ResponseOption]) -> None:
    data = {f"mapping-keyword_{i}": "11" for i in range(6)}
    form = MappingForm.for_new_link(
        data, firm=firm, provider="procore", keywords=DEFAULT_RESPONSE_KEYWORDS, options=options
    )
    assert form.is_valid()

    form.add_service_errors(ValidationError({"rejected": "Pick again."}))

    assert form.errors == {"keyword_4": ["Pick again."]}
    assert '<p class="field-error">Pick again.</p>' in render_table(form)


def test_a_read_only_table_shows_names_without_controls(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    form = MappingForm.for_table(table=table, keywords=response_keywords(project=link.project), options=options)

    html = render_table(form, readonly=True)

    assert "<select" not in html and "<label" not in html
    assert "<td>Revise and Resubmit</td>" in html
