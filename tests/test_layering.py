"""Arrows point one way (DESIGN.md, Layout): cli -> train -> nn -> functions ->
{autograd, kernels} -> shapes. Every module's imports are read with `ast` (at the top, inside
functions, under TYPE_CHECKING, relative or absolute), each module is mapped to its part, and
an import is refused when the rules below forbid it; no circle between parts either."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import convprop

SRC = Path(convprop.__file__).parent

# The parts, highest first. A part imports only parts on the lines below its own: never one
# on its own line, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("cli",),  # cli/ and __main__: argument parsing and printing only
    ("package",),  # convprop/__init__.py: the public re-exports
    ("explain", "report", "train"),
    ("models", "formats", "distributed", "saliency"),
    ("nn", "optim", "data", "utils", "gradcheck", "tensors"),
    ("functions",),  # the differentiable CNN ops: validate once, keep the plan for backward
    ("autograd",),  # the engine: Tensor, Function, Parameter, element-wise ops
    ("kernels",),  # pure functions on arrays: no Tensor, no state
    ("shapes",),  # shapes.py, arguments.py: geometries, size formulas, argument checks
    ("base",),  # rng, _threads, _optional: helpers that import nothing of ours
]

# The arrows issue 15 names, never to exist even where the lines above would allow them.
LIBRARY = {part for line in LAYERS for part in line} - {"cli"}
NEVER: set[tuple[str, str]] = {
    ("kernels", "autograd"),
    ("kernels", "nn"),
    ("autograd", "nn"),
    ("optim", "nn"),
    ("nn", "kernels"),  # nn reaches the kernels only through autograd (functions)
    ("explain", "cli"),
    ("shapes", "kernels"),
    *((part, "cli") for part in LIBRARY),  # library -> cli
}

# Top-level modules that are not a folder of their own, and the part each belongs to.
MODULES = {
    "rng": "base",
    "_threads": "base",
    "_optional": "base",
    "devices": "base",  # device names and dtypes (PyTorch's): nothing of ours imported
    "dtypes": "base",
    "cuda": "base",
    "accelerator": "base",
    "backends": "base",
    "shapes": "shapes",
    "arguments": "shapes",
    "models": "models",
    "creation": "tensors",  # torch.zeros, torch.cat, ...: made from autograd's Tensor
    "tensor_ops": "tensors",
    "onnx": "formats",  # convprop.onnx: the public names of formats/onnx
    "saliency": "saliency",
    "__main__": "cli",
}

RANK = {part: -i for i, line in enumerate(LAYERS) for part in line}  # higher imports lower


def part_of(module: str) -> str:
    """'convprop.nn.module' -> 'nn'; a name the package itself holds (__version__) -> 'package'."""
    names = module.split(".")
    if len(names) == 1:
        return "package"
    first = names[1]
    if first.startswith("cli"):
        return "cli"
    if (SRC / first).is_dir():
        return first
    if (SRC / f"{first}.py").is_file():
        return MODULES.get(first, f"? {first}.py has no part in MODULES")
    return "package"  # `from . import __version__`: an attribute of convprop/__init__.py


def module_name(path: Path) -> str:
    names = ["convprop", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported convprop module) for every import anywhere in source."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: `from .x import y`, `from .. import nn`
                base = ".".join(here[: len(here) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if node.module is None or target == "convprop":
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] == "convprop"]


def arrows() -> list[tuple[str, int, str, str, str]]:
    """(module, line, imported module, its part, importing part) across parts."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, target in imports(source, module, path.name == "__init__.py"):
            src, dst = part_of(module), part_of(target)
            if src != dst:
                out.append((module, line, target, dst, src))
    return out


def broken_rule(src: str, dst: str) -> str | None:
    """Why part src may not import part dst, or None when it may."""
    if (src, dst) in NEVER:
        return f"{src} -> {dst} must never be"
    if RANK[dst] == RANK[src]:
        return f"{src} and {dst} stand side by side: neither imports the other"
    if RANK[dst] > RANK[src]:
        return f"{dst} stands above {src}"
    return None


def test_every_module_has_a_part() -> None:
    unknown = {part_of(module_name(p)) for p in SRC.rglob("*.py")} - set(RANK)
    assert not unknown, f"parts missing from LAYERS (or modules from MODULES): {unknown}"


def test_arrows_point_one_way() -> None:
    bad = [
        f"{module}:{line} imports {target}: {why}"
        for module, line, target, dst, src in arrows()
        if (why := broken_rule(src, dst))
    ]
    assert not bad, "\n".join(bad)


def test_no_circle_between_parts() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for _, _, _, dst, src in arrows():
        edges[src].add(dst)

    def reaches(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    parts = sorted(RANK)
    reach = {p: reaches(p) for p in parts}
    circles = {tuple(q for q in parts if q != p and p in reach[q] and q in reach[p]) for p in parts}
    assert circles <= {()}, f"parts that reach each other (a circle): {circles - {()}}"


def test_the_reader_sees_every_kind_of_import() -> None:
    source = (
        "import convprop.kernels as K\n"
        "from .. import nn, shapes\n"
        "from .stack import Layer\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ..optim import SGD\n"
        "def later():\n"
        "    from ..cli.shape import walk\n"
    )
    found = {name for _, name in imports(source, "convprop.explain.shape", False)}
    assert found == {
        "convprop.kernels",
        "convprop.nn",
        "convprop.shapes",
        "convprop.explain.stack",
        "convprop.optim",
        "convprop.cli.shape",
    }
    package = imports("from . import __version__\n", "convprop.cli", False)
    assert [part_of(name) for _, name in package] == ["package"]
    assert [part_of(n) for n in ("convprop.cli.train", "convprop.nn.module")] == ["cli", "nn"]


def test_the_rules_forbid_what_the_issue_forbids() -> None:
    assert broken_rule("optim", "nn")
    assert broken_rule("explain", "cli")
    assert broken_rule("nn", "kernels")
    assert broken_rule("report", "cli")
    assert broken_rule("report", "explain")  # pyplot comes from _optional
    assert broken_rule("cli", "train") is None
    assert broken_rule("nn", "autograd") is None
