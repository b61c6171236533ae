"""kafka-python 3.0 calls the deprecated `importlib.resources.read_text` when imported, which
the suite's warnings-as-errors turns into a collection error: import it once here, quietly,
before the test modules that compare our codec with it."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import kafka.record.default_records  # noqa: F401
