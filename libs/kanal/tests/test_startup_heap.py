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


def _passes_in_a_child(code: str) -> None:
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_startup_objects_are_frozen_and_later_garbage_is_collected() -> None:
    _passes_in_a_child(CHECK)


YOUNG = """
import gc, weakref
from kanal.startup_heap import THROUGHPUT_YOUNG_THRESHOLD, collect_young_less_often

class Node:
    pass

_, older, oldest = gc.get_threshold()
collect_young_less_often()
assert gc.get_threshold() == (THROUGHPUT_YOUNG_THRESHOLD, older, oldest), gc.get_threshold()
node = Node(); node.self = node
alive = weakref.ref(node)
del node
kept = [[] for _ in range(THROUGHPUT_YOUNG_THRESHOLD // 2)]
assert alive() is not None, "collected before the new threshold was reached"
kept += [[] for _ in range(THROUGHPUT_YOUNG_THRESHOLD)]
assert alive() is None, "a cycle outlived a young generation's worth of allocations"
print("ok")
"""


def test_a_raised_young_threshold_still_collects_cycles_on_its_own() -> None:
    _passes_in_a_child(YOUNG)
