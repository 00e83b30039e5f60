"""The partner API: ``POST /api/v1/applications`` (a referral), its OpenAPI description at
``/api/openapi.json`` and a readable page of it at ``/api/docs``. Authenticated by a partner's bearer
token (`panel partner add`); answers JSON, with a machine-readable error naming each field."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from panel.actor import act_as
from panel.email_index import DuplicateEmailError
from panel.partners import Partners
from panel.validation import InvalidSignUpError
from web.site import read_limited, site_of

PROBLEMS = {
    "unauthenticated": (401, "send your partner token as: Authorization: Bearer TOKEN (from `panel partner add`)"),
    "not_json": (415, "send the body as JSON with Content-Type: application/json"),
    "malformed": (400, "the body is not valid JSON"),
    "too_large": (413, "the body is larger than the service accepts"),
    "too_many": (429, "too many requests with this token: wait as Retry-After says (PANEL_WEB_LIMIT_PER_PARTNER)"),
    "duplicate": (409, "someone already applied and confirmed this email address; nothing was saved"),
}
DUPLICATE = "already confirmed by a participant: send the referral without it, or ask them to use their own link"


def problem(code: str, fields: list[dict[str, str]] | None = None, message: str = "") -> JSONResponse:
    status, text = PROBLEMS.get(code, (400, message))
    body: dict[str, Any] = {"error": {"code": code, "message": message or text}}
    if fields:
        body["error"]["fields"] = fields
    headers = {"WWW-Authenticate": 'Bearer realm="partner-api"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def applications(request: Request) -> Response:
    site = site_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    partner = await run_in_threadpool(Partners(site.app).authenticate, token.strip()) if scheme == "Bearer" else None
    if partner is None:
        return problem("unauthenticated")
    moment = site.clock()
    wait = await run_in_threadpool(site.limits.partners.take, partner.name, moment)
    if wait is not None:
        late = problem("too_many", message="this partner sent more requests this hour than the service accepts")
        late.headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
        return late
    act_as(f"partner:{partner.name}")  # the referral is recorded as this partner's doing (web.actor)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return problem("not_json")
    try:
        raw = await read_limited(request, site.settings.max_body)
    except HTTPException:
        return problem("too_large")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return problem("malformed")
    try:
        referral = await run_in_threadpool(Partners(site.app).refer, partner, body, at=site.clock())
    except InvalidSignUpError as exc:
        fields = [{"field": e.field, "message": e.message} for e in exc.errors]
        return problem("invalid", fields, "the referral has fields to fix; nothing was saved")
    except DuplicateEmailError as exc:  # nothing about the person who holds it: the partner may not know them
        return problem("duplicate", [{"field": exc.field, "message": DUPLICATE}])
    answer = {"id": str(referral.participant_id), "reference": referral.reference, "created": referral.created}
    return JSONResponse(answer, status_code=201 if referral.created else 200)


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


async def docs(request: Request) -> Response:
    site = site_of(request)
    return site.render(request, "api_docs.html", spec=OPENAPI, example=json.dumps(EXAMPLE, indent=2))


EXAMPLE = {
    "reference": "YL-2026-0042",
    "name": "Sam Patel",
    "email": "sam@example.org",
    "phone": "07700 900123",
    "postcode": "LS6 1AA",
    "attributes": {"age_band": "18-21"},
    "consents": [
        {"purpose": "contact", "notice_version": "v3"},
        {"purpose": "panel_membership", "notice_version": "v3"},
    ],
}
_TEXT = {"type": "string"}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": [
                        "unauthenticated",
                        "not_json",
                        "malformed",
                        "too_large",
                        "invalid",
                        "duplicate",
                        "too_many",
                    ],
                },
                "message": _TEXT,
                "fields": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"field": _TEXT, "message": _TEXT}},
                },
            },
        }
    },
}
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "participant-panel partner API", "version": "1"},
    "components": {"securitySchemes": {"partnerToken": {"type": "http", "scheme": "bearer"}}},
    "security": [{"partnerToken": []}],
    "paths": {
        "/api/v1/applications": {
            "post": {
                "summary": "Refer someone who asked to apply; the same reference sent again is the same person",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "example": EXAMPLE,
                            "schema": {
                                "type": "object",
                                "required": ["reference"],
                                "additionalProperties": False,
                                "properties": {
                                    "reference": {**_TEXT, "description": "your own reference for this person"},
                                    **{k: _TEXT for k in ("name", "email", "phone", "postcode", "address")},
                                    "attributes": {"type": "object", "additionalProperties": _TEXT},
                                    "consents": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "purpose": _TEXT,
                                                "notice_version": _TEXT,
                                                "valid_for": {**_TEXT, "description": "how long it lasts, e.g. 2y"},
                                            },
                                        },
                                    },
                                },
                            },
                        }
                    },
                },
                "responses": {
                    "201": {"description": "registered"},
                    "200": {"description": "this reference was registered before; nothing was written"},
                    **{
                        str(code): {"description": text, "content": {"application/json": {"schema": _ERROR}}}
                        for code, text in (
                            (400, "invalid or malformed"),
                            (401, "no valid token"),
                            (409, "duplicate: a participant already confirmed this email (field email); nothing saved"),
                            (413, "too large"),
                            (415, "not JSON"),
                            (429, "too many requests with this partner's token; see Retry-After"),
                        )
                    },  # fmt: skip
                },
            }
        }
    },
}

ROUTES = [
    Route("/api/v1/applications", applications, methods=["POST"]),
    Route("/api/openapi.json", openapi, methods=["GET"]),
    Route("/api/docs", docs, methods=["GET"]),
]
