"""API keys and the tenant's settings, under /admin (an admin key of the tenant).

A tenant's admin manages its own keys. The operator's tenant (`default`, the one `make run`'s
dev key belongs to) also manages other tenants' keys: it creates them naming the tenant in
`tenant` (a tenant named there that does not exist yet is created), lists them with
`?tenant=`, and revokes any key. The new key is in the response once, never again.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from serve.api.errors import Forbidden, InvalidRequest, NotFound
from serve.api.responses import FastJSONResponse
from store.keys import TENANT_NAME, KeyRequestError, KeyStore
from store.sessions import DEFAULT_TENANT_ID

router = APIRouter(prefix="/admin", tags=["admin"])
INT4_MAX = 2**31 - 1  # the columns' range


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200, pattern=r"^[^\x00]*$")
    scopes: list[Literal["chat", "admin"]] = Field(["chat"], min_length=1)
    tenant: str | None = Field(None, pattern=TENANT_NAME.pattern,
                               description="Another tenant (the operator's keys only).")
    learn: StrictBool = Field(True, description="false: this key's chats are never learned from.")
    rpm: int | None = Field(None, ge=1, le=INT4_MAX,
                            description="Requests per minute (else the default).")
    tpm: int | None = Field(None, ge=1, le=INT4_MAX,
                            description="Tokens per minute (else the default).")


class TenantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    learn: StrictBool | None = Field(
        None, description="false: no chat of this tenant is learned from.")
    redact_at_rest: StrictBool | None = Field(
        None, description="true: transcripts are stored with private values redacted.")


def _keys(request: Request) -> KeyStore:
    return request.app.state.keys


def _operator(request: Request) -> bool:
    return request.state.principal.tenant_id == DEFAULT_TENANT_ID


def _not_operator() -> Forbidden:
    return Forbidden("Only admin keys of the operator's tenant ('default') manage other "
                     "tenants' keys.")


@router.get("/keys")
async def list_keys(request: Request, tenant: str | None = Query(
        None, pattern=TENANT_NAME.pattern, description="Another tenant (the operator only).")):
    keys, tenant_id = _keys(request), request.state.principal.tenant_id
    if tenant is not None and tenant != request.state.principal.tenant:
        if not _operator(request):
            raise _not_operator()
        if (tenant_id := await keys.tenant_id(tenant)) is None:
            raise NotFound(f"No tenant {tenant!r}.", param="tenant")
    return FastJSONResponse({"object": "list", "data": await keys.list(tenant_id)})


@router.post("/keys", status_code=201)
async def create_key(body: NewKey, request: Request):
    keys, principal = _keys(request), request.state.principal
    tenant_id = principal.tenant_id
    try:
        if body.tenant is not None and body.tenant != principal.tenant:
            if not _operator(request):
                raise _not_operator()
            tenant_id = await keys.tenant_id(body.tenant, create=True)
        row = await keys.create(tenant_id, list(body.scopes), name=body.name, learn=body.learn,
                                rpm=body.rpm, tpm=body.tpm)
    except KeyRequestError as exc:
        raise InvalidRequest(str(exc), param="tenant") from exc
    return FastJSONResponse({"object": "api_key", **row}, status_code=201)


@router.delete("/keys/{key_id}")
async def revoke_key(request: Request, key_id: str = Path(..., pattern=r"^[0-9a-f]{12}$")):
    row = await _keys(request).revoke(
        None if _operator(request) else request.state.principal.tenant_id, key_id)
    if row is None:
        raise NotFound(f"No live key {key_id!r}.", param="key_id")
    request.app.state.key_cache.forget(key_id)  # this replica at once; others by NOTIFY
    return FastJSONResponse({"object": "api_key", **row})


@router.get("/tenant")
async def get_tenant(request: Request):
    return FastJSONResponse(await _keys(request).tenant(request.state.principal.tenant_id))


@router.patch("/tenant")
async def update_tenant(body: TenantSettings, request: Request):
    tenant_id = request.state.principal.tenant_id
    changes = body.model_dump(exclude_none=True)
    if not changes:  # nothing named: nothing changes
        return FastJSONResponse(await _keys(request).tenant(tenant_id))
    row = await _keys(request).update_tenant(tenant_id, changes)
    request.app.state.key_cache.forget(f"tenant:{tenant_id}")
    return FastJSONResponse(row)
