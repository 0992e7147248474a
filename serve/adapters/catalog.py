"""The model names clients may use, and what each means to the engine right now.

`lucid` is the currently promoted adapter of the caller's tenant, or the base model while there
is none; the base model's id and the tenant's loaded adapter versions are also valid names. One
tenant's versions do not exist for another (404, like any unknown model). Kept in memory: the
chat path resolves a name without a database round trip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from serve.api.errors import ModelNotFound
from serve.config.settings import ALIAS_MODEL


@dataclass(frozen=True)
class Served:
    """What a request runs on: the engine's model name, and the adapter version row if any."""

    engine_model: str
    adapter_version_id: int | None = None


@dataclass(frozen=True)
class AdapterEntry:
    name: str
    version_id: int
    parent: str
    created: int
    tenant_id: int


@dataclass
class ModelCatalog:
    base_model_id: str
    created: int = field(default_factory=lambda: int(time.time()))
    adapters: dict[str, AdapterEntry] = field(default_factory=dict)
    # What `lucid` means per tenant id; a tenant not here is served the base model.
    active: dict[int, Served] = field(default_factory=dict)
    _in_flight: dict[str, int] = field(default_factory=dict)

    def serving(self, tenant_id: int) -> Served:
        return self.active.get(tenant_id) or Served(self.base_model_id)

    def resolve(self, model: str, tenant_id: int) -> Served:
        if model == ALIAS_MODEL:
            return self.serving(tenant_id)
        if model == self.base_model_id:
            return Served(self.base_model_id)
        entry = self.adapters.get(model)
        if entry is None or entry.tenant_id != tenant_id:
            raise ModelNotFound(model)
        return Served(entry.name, entry.version_id)

    def knows(self, model: str) -> bool:
        """Whether some tenant may use `model` now (a bounded label for metrics)."""
        return model in (ALIAS_MODEL, self.base_model_id) or model in self.adapters

    def enter(self, engine_model: str) -> None:
        """A request starts on `engine_model` (hot-swap unloads a version only once drained)."""
        self._in_flight[engine_model] = self._in_flight.get(engine_model, 0) + 1

    def leave(self, engine_model: str) -> None:
        left = self._in_flight.get(engine_model, 1) - 1
        if left:
            self._in_flight[engine_model] = left
        else:
            self._in_flight.pop(engine_model, None)

    def in_flight(self, engine_model: str) -> int:
        return self._in_flight.get(engine_model, 0)

    def cards(self, tenant_id: int) -> list[dict]:
        """OpenAI model objects for /v1/models, as the tenant sees them."""
        cards = [
            {"id": ALIAS_MODEL, "object": "model", "created": self.created, "owned_by": "lucid",
             "root": self.serving(tenant_id).engine_model, "parent": None},
            {"id": self.base_model_id, "object": "model", "created": self.created,
             "owned_by": "lucid", "root": self.base_model_id, "parent": None},
        ]
        for entry in self.adapters.values():
            if entry.tenant_id != tenant_id:
                continue
            cards.append({"id": entry.name, "object": "model", "created": entry.created,
                          "owned_by": "lucid", "root": entry.name, "parent": entry.parent})
        return cards
