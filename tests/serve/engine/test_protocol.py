"""What vLLM's error answers mean to Lucid: a context overflow, an unknown model, an adapter loaded
twice or unloaded when absent each become their own typed error with vLLM's message kept, other
4xx a 400, 5xx a 502, and bodies that are not vLLM's JSON (a proxy's text page, an empty body)
still give a readable message. Bodies are vLLM's own shapes (`{"error": {...}}`, and the flat
`{"object": "error", ...}` of older versions); test_client.py's slow tests meet the real ones."""

from __future__ import annotations

import orjson
import pytest

from serve.api.errors import (
    AdapterAlreadyLoaded,
    AdapterNotLoaded,
    ContextLengthExceeded,
    EngineError,
    InvalidRequest,
    ModelNotFound,
)
from serve.engine.protocol import (
    CHAT_PATH,
    LOAD_ADAPTER_PATH,
    UNLOAD_ADAPTER_PATH,
    adapter_error,
    engine_error,
    engine_root,
)

CONTEXT = ("This model's maximum context length is 2048 tokens. However, you requested 3000 "
           "tokens (2990 in the messages, 10 in the completion). Please reduce the length.")


def nested(message: str, status: int = 400, param: object = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": "BadRequestError",
                                   "param": param, "code": status}})


def flat(message: str, status: int = 400) -> bytes:
    return orjson.dumps({"object": "error", "message": message, "type": "BadRequestError",
                         "param": None, "code": status})


@pytest.mark.parametrize("url", ["http://e:8100", "http://e:8100/", "http://e:8100/v1",
                                 "http://e:8100/v1/"])
def test_the_engine_root_is_the_same_with_or_without_v1(url):
    assert engine_root(url) == "http://e:8100"
    assert CHAT_PATH == "/v1/chat/completions"


@pytest.mark.parametrize("shape", [nested, flat])
def test_a_context_overflow_is_context_length_exceeded_with_vllms_message(shape):
    error = engine_error(400, shape(CONTEXT), "lucid")
    assert isinstance(error, ContextLengthExceeded)
    assert (error.status, error.code, error.param, error.message) == (
        400, "context_length_exceeded", "messages", CONTEXT)


def test_a_404_names_the_model_asked_for():
    error = engine_error(404, nested("The model `x` does not exist.", 404), "tenant-v3-abcd")
    assert isinstance(error, ModelNotFound)
    assert (error.status, error.code, error.param) == (404, "model_not_found", "model")
    assert "`tenant-v3-abcd`" in error.message


def test_another_client_error_is_a_400_keeping_message_and_named_parameter():
    error = engine_error(400, nested("temperature must be non-negative", param="temperature"))
    assert type(error) is InvalidRequest
    assert (error.status, error.message, error.param) == (
        400, "temperature must be non-negative", "temperature")
    assert engine_error(422, nested("bad", 422, param=3)).param is None  # only a name is kept


@pytest.mark.parametrize(("status", "body", "message"), [
    (500, nested("CUDA out of memory", 500), "The engine failed: CUDA out of memory"),
    (502, b"<html>Bad Gateway</html>", "The engine failed: <html>Bad Gateway</html>"),
    (503, b"", "The engine failed: engine answered 503"),
    (500, b"[1, 2]", "The engine failed: [1, 2]"),
    (500, orjson.dumps({"detail": "Internal"}), 'The engine failed: {"detail":"Internal"}'),
])
def test_a_server_error_or_a_body_that_is_not_vllms_json_is_a_502(status, body, message):
    error = engine_error(status, body, "lucid")
    assert type(error) is EngineError
    assert (error.status, error.type, error.message) == (502, "server_error", message)


def test_a_long_non_json_body_is_cut_to_500_characters():
    error = engine_error(400, b"x" * 5000)
    assert type(error) is InvalidRequest and error.message == "x" * 500


def test_an_error_field_that_is_a_plain_string_still_maps_to_a_typed_error():
    error = engine_error(500, orjson.dumps({"error": "upstream timed out"}))
    assert type(error) is EngineError and "upstream timed out" in error.message


@pytest.mark.parametrize("message", [
    "The lora adapter 'v3' has already been loaded. If you want to load the adapter in place, "
    "set 'load_inplace' to True.",
    "Adapter v3 is already loaded",
])
def test_loading_a_name_the_engine_has_is_adapter_already_loaded(message):
    error = adapter_error(LOAD_ADAPTER_PATH, "v3", 400, nested(message))
    assert isinstance(error, AdapterAlreadyLoaded)
    assert (error.status, error.code, error.param) == (400, "adapter_already_loaded", "lora_name")
    assert error.message == "Adapter v3 is already loaded."


@pytest.mark.parametrize(("status", "body"), [
    (404, nested("The lora adapter 'v3' cannot be found.", 404)),
    (400, nested("The lora adapter 'v3' cannot be found.")),
    (400, flat("LoRA adapter v3 not found")),
    (404, b"Not Found"),
])
def test_unloading_a_name_the_engine_lacks_is_adapter_not_loaded(status, body):
    error = adapter_error(UNLOAD_ADAPTER_PATH, "v3", status, body)
    assert isinstance(error, AdapterNotLoaded)
    assert (error.status, error.code, error.param) == (404, "adapter_not_loaded", "lora_name")


def test_the_markers_only_count_on_their_own_route():
    # A load whose files are missing says "not found": a bad request, not "not loaded".
    missing = adapter_error(LOAD_ADAPTER_PATH, "v3", 400,
                            nested("No adapter found for /var/adapters/abc: not found"))
    assert type(missing) is InvalidRequest and "No adapter found" in missing.message
    # An unload that mentions "already loaded" is not a success in disguise.
    odd = adapter_error(UNLOAD_ADAPTER_PATH, "v3", 400, nested("v3 is already loaded elsewhere"))
    assert type(odd) is InvalidRequest


@pytest.mark.parametrize("route", [LOAD_ADAPTER_PATH, UNLOAD_ADAPTER_PATH])
def test_an_adapter_route_failing_on_the_server_is_a_502(route):
    error = adapter_error(route, "v3", 500, b"Internal Server Error")
    assert type(error) is EngineError
    assert (error.status, error.message) == (502, "The engine failed: Internal Server Error")
    empty = adapter_error(route, "v3", 500, b"")
    assert empty.message == "The engine failed: engine answered 500"
