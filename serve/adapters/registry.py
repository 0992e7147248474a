"""The admin side of the adapter registry: list, promote, roll back, pin.

Each change is one transaction in `store.adapters` (which NOTIFYs every replica); this replica
then syncs at once, so the change takes effect for its next request without waiting for the
notification to come round.
"""

from __future__ import annotations

from typing import Any

from serve.adapters.hotswap import AdapterSync
from serve.api.errors import AdapterRefused, APIError, NotFound, RegistryConflict
from store.adapters import AdapterState, AdapterStore, RegistryError, VersionNotFound


def _public(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: v for k, v in row.items() if k not in ("id", "parent_id")}


class AdapterRegistry:
    """One tenant's registry (`adapters` is scoped to it) and this replica's sync."""

    def __init__(self, adapters: AdapterStore, sync: AdapterSync) -> None:
        self.adapters = adapters
        self.sync = sync

    def for_tenant(self, tenant_id: int) -> AdapterRegistry:
        return AdapterRegistry(self.adapters.for_tenant(tenant_id), self.sync)

    def _state(self, state: AdapterState) -> dict[str, Any]:
        serving = self.sync.catalog.serving(self.adapters.tenant_id).engine_model
        return {"active": _public(state.active), "previous": _public(state.previous),
                "pinned": state.pinned, "serving": serving}

    async def overview(self) -> dict[str, Any]:
        state = await self.adapters.state()
        active_id = state.active["id"] if state.active else None
        versions = [{**_public(v), "active": v["id"] == active_id}
                    for v in await self.adapters.list_versions()]
        return {**self._state(state), "object": "list", "data": versions,
                "events": await self.adapters.events(20)}

    async def _apply(self, change) -> dict[str, Any]:
        try:
            state = await change
        except VersionNotFound as exc:
            raise NotFound(str(exc), param="version") from exc
        except RegistryError as exc:
            raise RegistryConflict(str(exc)) from exc
        await self.sync.sync(self.adapters.tenant_id)
        return self._state(state)

    async def promote(self, version: str) -> dict[str, Any]:
        try:
            row = await self.adapters.find(version)
        except VersionNotFound as exc:
            raise NotFound(str(exc), param="version") from exc
        try:
            await self.sync.preload(row, self.adapters.tenant_id)
        except APIError as exc:
            if exc.status >= 500:
                raise
            raise AdapterRefused(row["name"], exc.message) from exc
        return await self._apply(self.adapters.promote(version))

    async def rollback(self) -> dict[str, Any]:
        return await self._apply(self.adapters.rollback())

    async def restore_untainted(self, reason: str) -> dict[str, Any]:
        """Serve the newest untainted version (or the base model) if the active one is tainted."""
        return await self._apply(self.adapters.restore_untainted(reason=reason))

    async def set_pinned(self, pinned: bool) -> dict[str, Any]:
        return await self._apply(self.adapters.set_pinned(pinned))
