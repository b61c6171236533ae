"""Structural guard for the fencing rule: outside the election (which writes only its own
registration and the campaign) and the fenced writer, no module calls an etcd write."""

from __future__ import annotations

import ast
from pathlib import Path

import kanal_controller.app

WRITES = {"put", "txn", "transaction", "delete", "delete_prefix", "replace"}
ALLOWED = {"etcd.py", "fenced_writes.py", "election.py", "testing.py"}


def etcd_write_calls(source: str) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in WRITES
                and "etcd" in ast.unparse(node.func.value).lower()):
            calls.append(ast.unparse(node))
    return calls


def test_only_the_fenced_writer_writes_metadata() -> None:
    package = Path(kanal_controller.app.__file__).parent
    offenders = {
        path.name: calls
        for path in sorted(package.glob("*.py")) if path.name not in ALLOWED
        if (calls := etcd_write_calls(path.read_text()))
    }
    assert offenders == {}


def test_the_guard_sees_a_direct_write() -> None:
    assert etcd_write_calls("async def f(self):\n    await self._etcd.put(k, v)\n")
