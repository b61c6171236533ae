"""freeze_startup_heap: start-up objects leave the collected generations, later garbage is
still collected. Run in a child interpreter: freezing the test runner's heap would last."""

import subprocess
import sys

CHECK = """
import gc, weakref
from kanal.startup_heap import freeze_startup_heap

class Node:
    pass

freeze_startup_heap()
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen
assert sum(gc.get_count()) < 100, gc.get_count()
node = Node(); node.self = node  # a cycle made after start-up
alive = weakref.ref(node)
del node
gc.collect()
assert alive() is None, "garbage made after the freeze was not collected"
assert gc.get_freeze_count() == frozen
print("ok")
"""


def test_startup_objects_are_frozen_and_later_garbage_is_collected() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], check=False, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
