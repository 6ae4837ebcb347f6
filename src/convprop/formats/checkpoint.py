"""Checkpoints that cannot hurt anyone: NumPy .npz read with allow_pickle=False, written atomically.

Layout: "model/<state_dict key>" arrays, "optim/<i>/<name>" optimizer state arrays, and
"meta", a JSON text (epoch, metrics, optimizer groups, model and run configuration).
A file carrying a pickle is refused, never executed; a write goes to a temporary file
that is fsynced and renamed over the old one, so a crash leaves the previous one whole.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

MODEL, OPTIM, META = "model/", "optim/", "meta"


def save(
    path: str | os.PathLike[str],
    model_state: dict[str, np.ndarray],
    optim_state: dict[str, Any] | None,
    meta: dict[str, Any],
) -> None:
    """Write a checkpoint atomically (temporary file, fsync, rename)."""
    arrays: dict[str, np.ndarray] = {MODEL + k: np.asarray(v) for k, v in model_state.items()}
    meta = dict(meta)
    if optim_state is not None:
        meta["optimizer_groups"] = optim_state["param_groups"]
        for i, state in optim_state["state"].items():
            for name, value in state.items():
                arrays[f"{OPTIM}{i}/{name}"] = np.asarray(value)
    arrays[META] = np.array(json.dumps(meta))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it 0600: as open() would have
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load(
    path: str | os.PathLike[str],
) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """(model state_dict, optimizer state_dict, meta); ValueError for anything but a checkpoint."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise ValueError(f"checkpoint: {path} does not exist") from None
    except OSError as e:
        raise ValueError(f"checkpoint: cannot read {path} ({e})") from None
    if head[:1] == b"\x80":  # the opcode every pickle since protocol 2 starts with
        raise ValueError(f"checkpoint: {path} is a pickle; refusing to load it")
    if head != b"PK\x03\x04":
        raise ValueError(f"checkpoint: {path} is not a convprop checkpoint (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(
                f"checkpoint: {path} carries pickled data; refusing to load it"
            ) from None
        raise ValueError(f"checkpoint: {path} is not a convprop checkpoint: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"checkpoint: {path} is truncated or corrupt ({e})") from None
    if META not in arrays:
        raise ValueError(f"checkpoint: {path} has no {META!r} entry; not a convprop checkpoint")
    meta = json.loads(str(arrays.pop(META)))
    model = {k[len(MODEL) :]: v for k, v in arrays.items() if k.startswith(MODEL)}
    state: dict[int, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        if key.startswith(OPTIM):
            index, name = key[len(OPTIM) :].split("/", 1)
            state.setdefault(int(index), {})[name] = value
    optim = {"param_groups": meta.pop("optimizer_groups", []), "state": state}
    return model, optim, meta
