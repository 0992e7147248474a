"""The only client of vLLM: chat completions, LoRA load and unload with typed errors, health.
Nothing else in Lucid knows vLLM's URLs or error texts."""
