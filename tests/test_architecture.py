"""The dependency rules of the package, checked on the source.

Layers, from the bottom: ``distributions`` (imports nothing from hypersweep); ``trial`` (trial
records and the live Trial); ``storages`` (persistence; knows only records); ``samplers`` and
``pruners`` (algorithms; read history through the study's public methods and never import a
storage); ``study`` (where a sampler, a pruner and a storage meet); the surfaces (``cli``,
``bench``, ``visualization``, ``dashboard``, ``integrations``), which nothing below imports.
``_exceptions`` and ``logging`` are leaf utilities any layer may use. Imports inside
``if TYPE_CHECKING:`` are for annotations only and are not dependencies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hypersweep"

LAYER: dict[str, float] = {
    "_exceptions": 0,
    "logging": 0,
    "distributions": 0,
    "trial": 1,
    "storages": 2,
    "samplers": 3,
    "pruners": 3,
    "study": 4,
    "cli": 5,
    "bench": 5,
    "visualization": 5,
    "dashboard": 5,
    "integrations": 5,
    # The package root is the public API over the layers below the surfaces; surfaces use it.
    "__init__": 4.5,
    "__main__": 6,
}
UTILITIES = {"_exceptions", "logging"}


def _component(module: str) -> str:
    parts = module.split(".")
    assert parts[0] == "hypersweep", module
    return parts[1] if len(parts) > 1 else "__init__"


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    type_only.add(id(inner))
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("hypersweep")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hypersweep":
                found |= {f"hypersweep.{a.name}" for a in node.names}
            elif node.module.startswith("hypersweep."):
                found.add(node.module)
    return found


def _modules() -> list[tuple[str, Path]]:
    result = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(relative.parts)
        result.append((name.removesuffix(".__init__"), path))
    return result


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_point_down(module: str, path: Path) -> None:
    own = _component(module)
    own_layer = LAYER.get(own)
    assert own_layer is not None, f"{own} is not placed in a layer: add it to LAYER"
    for imported in _runtime_imports(path):
        other = _component(imported)
        if other == own or (other in UTILITIES and own != "distributions"):
            continue
        assert other in LAYER, f"{module} imports {imported}, which is in no layer"
        assert LAYER[other] < own_layer, f"{module} ({own}) imports {imported} ({other}) upward"
        if own in ("samplers", "pruners"):
            assert other != "storages", f"{module} imports a storage: use the study's view"


def test_distributions_depend_on_nothing() -> None:
    for module, path in _modules():
        if _component(module) == "distributions":
            others = {_component(i) for i in _runtime_imports(path)} - {"distributions"}
            assert not others, f"{module} imports {others}"
