"""``tunesmith run --save-model PATH``: the refit model, saved for later use.

skops (``pip install skops``) saves scikit-learn models in a format that loads without
running code, and is used when installed. Otherwise joblib: a pickle, which runs code
when loaded, so the CLI says so, and anyone loading the file must trust whoever wrote it.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from tunesmith.cli._config import ConfigError

__all__ = ["save_model"]


def save_model(model: Any, path: Path) -> str:
    """Save ``model`` at ``path``; returns a line saying how, and how to load it (it
    starts with ``warning:`` when loading the file runs code)."""
    path = Path(path)
    folder = path.resolve().parent
    if not folder.is_dir():
        raise ConfigError("--save-model", f"the folder {folder} does not exist")
    if path.is_dir():
        raise ConfigError("--save-model", f"{path} is a folder; give a file name")
    if importlib.util.find_spec("skops") is not None:
        # Optional, not a dependency: imported by name only when installed.
        sio = importlib.import_module("skops.io")
        sio.dump(model, path)
        return (f"model saved with skops at {path} (load: skops.io.load(path, "
                "trusted=skops.io.get_untrusted_types(file=path)) after checking the types)")
    import joblib

    joblib.dump(model, path)
    return (f"warning: model saved with joblib at {path}; loading it (joblib.load) runs "
            "code, so load only a file you made yourself (pip install skops for a format "
            "that does not)")
