"""Lucid's serving half: the OpenAI-compatible API in front of vLLM, and the launcher.

`python -m serve` (what `make run` calls) starts the whole system on the embedded default.
"""
