"""`/api/v1/projects/{pc_project_id}/contacts/`: the project team Project Center knows, read and replaced.

The portal matches each receiving user of the project's connection to a contact by e-mail (case-insensitive): the
feed says which contact an item is for, and the portal warns when a receiving user is not on the team.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import audit_actor
from connector_portal.api.project_scope import ID_PARAMETER, ProjectScopedView
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from projects.api.feed import ContactSerializer
from projects.selectors import project_contacts
from projects.services.reviewers import Contact, project_contacts_replace

MAX_CONTACTS = 1000


class ContactWriteSerializer(StrictSerializer):
    email = serializers.EmailField(help_text="The key reviewers are matched on; compared without regard to case.")
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    pc_contact_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ContactsWriteSerializer(StrictSerializer):
    contacts = ContactWriteSerializer(many=True, help_text=f"The whole team, as it is now (at most {MAX_CONTACTS}).")

    def validate_contacts(self, value: list[dict[str, str]]) -> list[dict[str, str]]:
        if len(value) > MAX_CONTACTS:
            raise serializers.ValidationError(f"At most {MAX_CONTACTS} contacts; this list has {len(value)}.")
        emails = [c["email"].lower() for c in value]
        twice = sorted({e for e in emails if emails.count(e) > 1})
        if twice:
            raise serializers.ValidationError(f"Each e-mail address once, please: {', '.join(twice)} appear twice.")
        return value


class ContactsSerializer(OutputSerializer):  # rendered from {"contacts": [ProjectContact, ...]}
    contacts = ContactSerializer(many=True, help_text="By e-mail address.")


EXAMPLE = {"contacts": [{"email": "rita@architects.example", "name": "Rita Reviewer", "pc_contact_id": "C-17"}]}


@extend_schema(tags=["projects"])
class ProjectContactsView(ProjectScopedView):
    serializer_class = ContactsWriteSerializer

    @extend_schema(
        operation_id="project_contacts_retrieve",
        summary="Read the project team's contacts",
        parameters=[ID_PARAMETER],
        responses={200: ContactsSerializer, **error_responses(404)},
        examples=[OpenApiExample("One contact", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        return Response(ContactsSerializer({"contacts": project_contacts(firm=self.firm, project_id=project.pk)}).data)

    @extend_schema(
        operation_id="project_contacts_replace",
        summary="Replace the project team's contacts",
        description=(
            "Send the whole project team each time it changes: contacts not sent are removed. Sending the same list "
            "twice changes nothing. Answers the saved list."
        ),
        parameters=[ID_PARAMETER],
        request=ContactsWriteSerializer,
        responses={200: ContactsSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample("One contact", value=EXAMPLE, request_only=True),
            OpenApiExample("Saved", value=EXAMPLE, response_only=True),
        ],
    )
    def put(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        serializer = ContactsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contacts = [Contact(**c) for c in serializer.validated_data["contacts"]]
        saved = project_contacts_replace(project=project, contacts=contacts, **audit_actor(request))
        return Response(ContactsSerializer({"contacts": saved}).data)
