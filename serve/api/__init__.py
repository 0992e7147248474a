"""The OpenAI API's shapes as Lucid speaks them: the chat request schema, every `APIError` with
its OpenAI status, type and code, and the JSON and server-sent-event framing of responses."""
