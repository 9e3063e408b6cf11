"""A provider is one package: outside `providers/<name>/` and the registry, no package code names a provider.

Comments, docstrings and descriptions may name them (they explain); identifiers, imports and string values may not.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from source_usage_metering.providers import BUILT_IN

PACKAGE = Path(__file__).resolve().parents[1] / "source_usage_metering"
PROVIDER_NAME = re.compile("|".join(BUILT_IN), re.IGNORECASE)
PROSE_KEYS = {"description", "title"}


def outside_provider_packages(pattern: str) -> list[Path]:
    provider_dirs = {PACKAGE / "providers" / name for name in BUILT_IN}
    registry = PACKAGE / "providers" / "__init__.py"
    return [
        path
        for path in sorted(PACKAGE.rglob(pattern))
        if path != registry and not any(directory in path.parents for directory in provider_dirs)
    ]


def docstring_nodes(tree: ast.AST) -> set[int]:
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                nodes.add(id(first.value))
    return nodes


def prose_values(tree: ast.AST) -> set[int]:
    """String values given under a `description` key or keyword (user-facing explanations)."""
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in PROSE_KEYS:
                    nodes.update(id(n) for n in ast.walk(value))
    return nodes


def code_words(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    skipped = docstring_nodes(tree) | prose_values(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            yield node.lineno, node.name
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, f"{node.module} {' '.join(alias.name for alias in node.names)}"
        elif isinstance(node, ast.Import):
            yield node.lineno, " ".join(alias.name for alias in node.names)
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg


def data_values(document: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield where, str(key)
            if key not in PROSE_KEYS:
                yield from data_values(value, f"{where}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from data_values(value, f"{where}[{index}]")
    elif isinstance(document, str):
        yield where, document


def test_no_python_module_outside_the_provider_packages_names_a_provider() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {word!r}"
        for path in outside_provider_packages("*.py")
        for line, word in code_words(path)
        if PROVIDER_NAME.search(word)
    ]
    assert not found, "\n".join(found)


def test_no_schema_or_spec_outside_the_provider_packages_names_a_provider() -> None:
    documents = [(path, json.loads(path.read_text())) for path in outside_provider_packages("*.json")]
    documents += [(path, yaml.safe_load(path.read_text())) for path in outside_provider_packages("*.yaml")]
    found = [
        f"{path.relative_to(PACKAGE)}: {where}: {value!r}"
        for path, document in documents
        for where, value in data_values(document)
        if PROVIDER_NAME.search(value)
    ]
    assert not found, "\n".join(found)


def test_the_checks_see_a_provider_name_where_there_is_one() -> None:
    tree_words = [word for _, word in code_words(PACKAGE / "providers" / "confluent" / "ids.py")]
    assert any(PROVIDER_NAME.search(word) for word in tree_words)
