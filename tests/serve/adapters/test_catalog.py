"""The model names a tenant may use: `lucid` follows the tenant's promoted version, the base model
is everyone's, an adapter version is its tenant's only (404 like any unknown name for the others),
requests in flight are counted per engine model, and /v1/models cards show what the tenant sees."""

from __future__ import annotations

import pytest

from serve.adapters.catalog import AdapterEntry, ModelCatalog, Served
from serve.api.errors import ModelNotFound

BASE = "base-model"
A, B = 11, 22  # two tenants


@pytest.fixture
def catalog() -> ModelCatalog:
    catalog = ModelCatalog(BASE, created=1000)
    catalog.adapters["a-v1-aaaa"] = AdapterEntry("a-v1-aaaa", 101, BASE, 1100, A)
    catalog.adapters["a-v2-bbbb"] = AdapterEntry("a-v2-bbbb", 102, "a-v1-aaaa", 1200, A)
    catalog.adapters["b-v1-cccc"] = AdapterEntry("b-v1-cccc", 201, BASE, 1300, B)
    catalog.active[A] = Served("a-v2-bbbb", 102)
    return catalog


def test_lucid_is_the_tenants_promoted_version_or_the_base_model(catalog):
    assert catalog.resolve("lucid", A) == Served("a-v2-bbbb", 102)
    assert catalog.resolve("lucid", B) == Served(BASE)  # B has promoted nothing
    catalog.active.pop(A)  # a rollback to the base model
    assert catalog.resolve("lucid", A) == Served(BASE, None)


def test_the_base_model_and_own_versions_resolve_for_their_tenant(catalog):
    assert catalog.resolve(BASE, A) == Served(BASE, None)
    assert catalog.resolve(BASE, B) == Served(BASE, None)
    assert catalog.resolve("a-v1-aaaa", A) == Served("a-v1-aaaa", 101)
    assert catalog.resolve("b-v1-cccc", B) == Served("b-v1-cccc", 201)


@pytest.mark.parametrize(("model", "tenant"), [
    ("b-v1-cccc", A), ("a-v1-aaaa", B), ("a-v2-bbbb", B), ("no-such-model", A), ("LUCID", A),
])
def test_another_tenants_version_is_as_unknown_as_a_missing_one(catalog, model, tenant):
    with pytest.raises(ModelNotFound) as missing:
        catalog.resolve(model, tenant)
    error = missing.value
    assert (error.status, error.param, error.code) == (404, "model", "model_not_found")
    assert f"`{model}` does not exist" in error.message


def test_known_names_are_the_alias_the_base_and_loaded_versions(catalog):
    assert all(catalog.knows(m) for m in ("lucid", BASE, "a-v1-aaaa", "b-v1-cccc"))
    assert not catalog.knows("a-v3-dddd") and not catalog.knows("")


def test_requests_in_flight_are_counted_per_engine_model(catalog):
    assert catalog.in_flight("a-v2-bbbb") == 0
    catalog.enter("a-v2-bbbb")
    catalog.enter("a-v2-bbbb")
    catalog.enter(BASE)
    assert (catalog.in_flight("a-v2-bbbb"), catalog.in_flight(BASE)) == (2, 1)
    catalog.leave("a-v2-bbbb")
    assert catalog.in_flight("a-v2-bbbb") == 1
    catalog.leave("a-v2-bbbb")
    catalog.leave(BASE)
    assert catalog.in_flight("a-v2-bbbb") == 0 and catalog.in_flight(BASE) == 0
    catalog.leave(BASE)  # an extra leave does not make the count negative
    assert catalog.in_flight(BASE) == 0
    catalog.enter(BASE)
    assert catalog.in_flight(BASE) == 1


def test_cards_show_the_alias_the_base_and_only_the_tenants_versions(catalog):
    cards = {card["id"]: card for card in catalog.cards(A)}
    assert list(cards) == ["lucid", BASE, "a-v1-aaaa", "a-v2-bbbb"]
    assert cards["lucid"]["root"] == "a-v2-bbbb" and cards["lucid"]["parent"] is None
    assert cards[BASE] == {"id": BASE, "object": "model", "created": 1000, "owned_by": "lucid",
                           "root": BASE, "parent": None}
    assert cards["a-v2-bbbb"] == {"id": "a-v2-bbbb", "object": "model", "created": 1200,
                                  "owned_by": "lucid", "root": "a-v2-bbbb",
                                  "parent": "a-v1-aaaa"}
    other = {card["id"]: card for card in catalog.cards(B)}
    assert list(other) == ["lucid", BASE, "b-v1-cccc"]
    assert other["lucid"]["root"] == BASE
