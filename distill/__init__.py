"""Lucid's distillation package: on-policy self-distillation (OPSD) of insights learned from chat
sessions into LoRA adapters that vLLM serves, plus evaluation and immutable publishing.

Entry points: `distill.trainer.train_opsd`, `distill.evaluate`, `store.adapter_folders.publish`.
"""
