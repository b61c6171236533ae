"""The Kanal controller: cluster metadata in etcd, written only by the one active controller.

`python -m kanal_controller` runs it; `ControllerApp` (in `app`) runs it inside an event loop.
"""

from kanal_controller.app import ControllerApp
from kanal_controller.settings import ControllerSettings

__all__ = ["ControllerApp", "ControllerSettings"]
