"""`kubectl scale` of the broker StatefulSet, the decisions (no API calls here).

On Kubernetes a broker's id is its pod ordinal (`--broker-id-from-hostname`), so a StatefulSet
scaled to N replicas keeps brokers 0..N-1 and deletes the pods of the others, highest first.
Every broker with an id >= N is therefore to be drained, and one that was being drained and
is below N again (the scale-down was undone) is to stay. The watch hands StatefulSet objects
as the kubernetes client's models; `desired_replicas` reads one, `scale_decision` compares it
with the brokers that exist, and `refusal_event` is the Kubernetes Event that says why a
drain was refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence, Set
from dataclasses import dataclass

from kubernetes.aio.client import CoreV1Event, V1EventSource, V1ObjectMeta, V1ObjectReference
from kubernetes.aio.client.models import V1StatefulSet

COMPONENT = "kanal-controller"


@dataclass(frozen=True, slots=True)
class ScaleDecision:
    drain: tuple[int, ...]
    """Brokers at or above the replica count, to be decommissioned (ascending)."""
    keep: tuple[int, ...]
    """Brokers below the replica count that were being drained: stop draining them."""


def desired_replicas(statefulset: V1StatefulSet) -> int | None:
    """spec.replicas (Kubernetes defaults an absent value to 1); None while the set is being
    deleted (then nothing should be drained: the whole release is going away)."""
    if statefulset.metadata is not None and statefulset.metadata.deletion_timestamp:
        return None
    spec = statefulset.spec
    if spec is None or spec.replicas is None:
        return 1
    return int(spec.replicas)


def scale_decision(replicas: int, brokers: Set[int], draining: Set[int]) -> ScaleDecision:
    """`brokers`: every broker id registered or holding a replica."""
    return ScaleDecision(
        drain=tuple(sorted(b for b in brokers if b >= replicas)),
        keep=tuple(sorted(b for b in draining if b < replicas)),
    )


def refusal_event(statefulset: V1StatefulSet, broker_ids: Sequence[int], reason: str,
                  now: datetime.datetime) -> CoreV1Event:
    """A Warning Event on the StatefulSet: `kubectl describe statefulset` shows it."""
    metadata = statefulset.metadata or V1ObjectMeta()
    stamp = now.strftime("%Y%m%d%H%M%S")
    ids = "-".join(str(b) for b in broker_ids)
    return CoreV1Event(
        metadata=V1ObjectMeta(name=f"{metadata.name}.decommission-{ids}.{stamp}",
                              namespace=metadata.namespace),
        involved_object=V1ObjectReference(
            api_version="apps/v1", kind="StatefulSet", name=metadata.name,
            namespace=metadata.namespace, uid=metadata.uid,
            resource_version=metadata.resource_version),
        reason="DecommissionRefused",
        message=f"brokers {list(broker_ids)} cannot be drained: {reason}",
        type="Warning",
        source=V1EventSource(component=COMPONENT),
        first_timestamp=now, last_timestamp=now, count=1,
        reporting_component=COMPONENT,
    )
