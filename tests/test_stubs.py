"""The type stubs of the native module name exactly the functions it exports."""

import ast
import pathlib

import infonative
from infonative import _core


def stub_names() -> set:
    stub = pathlib.Path(infonative.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_stubs_match_the_module():
    exported = {name for name in dir(_core) if not name.startswith("_") and callable(getattr(_core, name))}
    assert stub_names() == exported


def test_package_exports_are_documented():
    for name in infonative.__all__:
        assert getattr(infonative, name).__doc__, name
