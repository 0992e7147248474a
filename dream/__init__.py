"""Dreaming: turn the night's chat sessions into insights and filtered practice for distillation.

Entry point: `dream.pipeline.dream_for_sessions`. Nothing here touches the database or the API.
"""
