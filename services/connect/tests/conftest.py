import sys
from pathlib import Path

# The tests import their shared strategies as plain modules (pytest runs with importlib mode).
sys.path.insert(0, str(Path(__file__).parent))
