"""Training principle endpoints: the built-in list, the resolved principle, and setting them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE, Caller
from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.responses import model_response
from coach.api.security import require_own_organization
from coach.api.validation import path_int
from coach.db.tables import Member, Organization
from coach.errors import BadRequest, NotFound
from coach.principles import PrincipleRules, load_builtin, principle_by_text, resolve
from coach.services import Services
from coach.types import DbId


class BuiltinPrinciple(BaseModel):
    name: str
    title: str
    summary: str
    default: bool
    rules: PrincipleRules
    text: str


class PrincipleList(BaseModel):
    principles: list[BuiltinPrinciple]


class TrainingPrincipleQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: DbId | None = Field(
        default=None, description="Defaults to the caller's own organization."
    )


class ResolvedTrainingPrinciple(BaseModel):
    organization_id: int
    training_principle: str
    source: Literal["coach", "organization", "default"]
    name: str | None = Field(description="The built-in principle's name when one applies.")


class TrainingPrincipleUpdate(BaseModel):
    """Free text, or the name of a built-in principle; null or "" clears the setting."""

    model_config = ConfigDict(extra="forbid")

    training_principle: str | None = Field(max_length=20000)


class OrganizationPrinciple(BaseModel):
    organization_id: int
    training_principle: str | None
    name: str | None = Field(description="The built-in principle's name when one applies.")


class MemberSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    training_principle: str | None = Field(default=None, max_length=20000)


class MemberView(BaseModel):
    member_id: int
    organization_id: int
    role: str
    settings: MemberSettings


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def builtin_principles(directory: Path) -> PrincipleList:
    """The built-in principles, the default marked."""
    return PrincipleList(
        principles=[
            BuiltinPrinciple(
                name=p.name,
                title=p.rules.title,
                summary=p.rules.summary,
                default=p.rules.default,
                rules=p.rules,
                text=p.text,
            )
            for p in load_builtin(directory).values()
        ]
    )


async def list_principles(call: Call[None, None]) -> Response:
    return model_response(builtin_principles(call.services.settings.principles_dir))


async def principle_in_force(
    services: Services, caller: Caller, organization_id: int | None = None
) -> ResolvedTrainingPrinciple:
    """The principle the caller's plans use: their own, else the organization's, else
    the built-in default. An organization but the caller's is a 404."""
    organization_id = organization_id or caller.organization_id
    require_own_organization(caller, organization_id)
    org = await services.db.run(lambda s: s.get(Organization, organization_id))
    assert org is not None
    resolved = resolve(
        override=None,
        coach_setting=caller.settings.get("training_principle"),
        organization_setting=org.training_principle,
        directory=services.settings.principles_dir,
    )
    assert resolved.source != "request"
    return ResolvedTrainingPrinciple(
        organization_id=organization_id,
        training_principle=resolved.text,
        source=resolved.source,
        name=resolved.principle.name if resolved.principle else None,
    )


async def get_training_principle(call: Call[None, TrainingPrincipleQuery]) -> Response:
    resolved = await principle_in_force(call.services, call.caller, call.query.organization_id)
    return model_response(resolved)


async def put_organization_principle(call: Call[TrainingPrincipleUpdate, None]) -> Response:
    organization_id = path_int(call.request, "organization_id")
    value = _clean(call.body.training_principle)
    directory = call.services.settings.principles_dir
    builtin = principle_by_text(value, directory) if value else None
    stored = builtin.name if builtin else value

    def store(session: Session) -> None:
        org = session.get(Organization, organization_id)
        if org is None:
            raise NotFound(f"organization {organization_id} not found")
        org.training_principle = stored
        session.add(org)

    await call.services.db.run(store)
    return model_response(
        OrganizationPrinciple(
            organization_id=organization_id,
            training_principle=stored,
            name=builtin.name if builtin else None,
        )
    )


async def get_me(call: Call[None, None]) -> Response:
    caller = call.caller
    return model_response(
        MemberView(
            member_id=caller.member_id,
            organization_id=caller.organization_id,
            role=caller.role,
            settings=MemberSettings.model_validate(
                {k: v for k, v in caller.settings.items() if k in MemberSettings.model_fields}
            ),
        )
    )


async def put_my_settings(call: Call[MemberSettings, None]) -> Response:
    caller = call.caller
    value = _clean(call.body.training_principle)
    directory = call.services.settings.principles_dir
    builtin = principle_by_text(value, directory) if value else None
    if value is not None and len(value) < 3:
        raise BadRequest.field("training_principle", "too short to be a principle")

    def store(session: Session) -> dict[str, object]:
        member = session.get(Member, caller.member_id)
        assert member is not None
        settings = dict(member.settings)
        settings["training_principle"] = builtin.name if builtin else value
        member.settings = settings
        session.add(member)
        return settings

    settings = await call.services.db.run(store)
    return model_response(
        MemberView(
            member_id=caller.member_id,
            organization_id=caller.organization_id,
            role=caller.role,
            settings=MemberSettings.model_validate(settings),
        )
    )


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/v1/principles",
        list_principles,
        "List the built-in training principles",
        "principles",
        response=PrincipleList,
        errors=(401,),
        access=Access.MEMBER,
    ),
    Endpoint(
        "GET",
        "/v1/coach/training-principle",
        get_training_principle,
        "The training principle a coach's plans use (coach > organization > default)",
        "principles",
        query=TrainingPrincipleQuery,
        response=ResolvedTrainingPrinciple,
        organization="query",
        feature=COACH_AGENT_FEATURE,
    ),
    Endpoint(
        "PUT",
        "/v1/organizations/{organization_id}/training-principle",
        put_organization_principle,
        "Set the organization's training principle (admin)",
        "principles",
        body=TrainingPrincipleUpdate,
        response=OrganizationPrinciple,
        errors=(400, 401, 403, 404, 413),
        access=Access.ADMIN,
        organization="path",
    ),
    Endpoint(
        "GET",
        "/v1/me",
        get_me,
        "The member behind the key",
        "members",
        response=MemberView,
        errors=(401,),
        access=Access.MEMBER,
    ),
    Endpoint(
        "PUT",
        "/v1/me/settings",
        put_my_settings,
        "Set the caller's personal settings (a coach's own training principle)",
        "members",
        body=MemberSettings,
        response=MemberView,
        errors=(400, 401, 403, 413),
    ),
]
