"""The etcd key layout. Every key lives under `/kanal/<cluster-id>/`.

    controller/leader             ControllerLease JSON, on the active controller's lease.
                                  Its create_revision is the controller epoch; every
                                  controller write is a transaction that compares it.
    controllers/<controller-id>   ControllerLease JSON of each running controller (standby
                                  included), on that controller's lease.
    brokers/<broker-id>           BrokerRegistration JSON, on the broker's lease. The key's
                                  presence is the broker's liveness.
    topics/<topic>                TopicSpec JSON (id, partition count, assignment, configs).
    partitions/<topic>/<p>        PartitionState JSON (leader, leader epoch, ISR, epoch).
    config/brokers/<id|default>   JSON object {topic-config-name: value}: broker-level topic
                                  defaults (AlterConfigs on BROKER resources).
    producer_ids/next             decimal text: the first producer id no block has taken
                                  (AllocateProducerIds advances it; absent means 0).
    registry/primary              {"instance_id", "url"} of the schema registry primary, on
                                  its lease.

Topic names cannot contain '/', so a topic's keys never collide with another's prefix
(`partitions/<topic>/` ends with the separator).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Layout:
    cluster_id: str

    @property
    def root(self) -> bytes:
        return f"/kanal/{self.cluster_id}/".encode()

    def _key(self, *parts: str | int) -> bytes:
        return self.root + "/".join(str(p) for p in parts).encode()

    # Controller election.
    @property
    def controller_leader(self) -> bytes:
        return self._key("controller", "leader")

    @property
    def registry_primary(self) -> bytes:
        return self._key("registry", "primary")

    @property
    def controllers_prefix(self) -> bytes:
        return self._key("controllers", "")

    def controller(self, controller_id: str) -> bytes:
        return self._key("controllers", controller_id)

    # Brokers.
    @property
    def brokers_prefix(self) -> bytes:
        return self._key("brokers", "")

    def broker(self, broker_id: int) -> bytes:
        return self._key("brokers", broker_id)

    # Topics and partitions.
    @property
    def topics_prefix(self) -> bytes:
        return self._key("topics", "")

    def topic(self, name: str) -> bytes:
        return self._key("topics", name)

    @property
    def partitions_prefix(self) -> bytes:
        return self._key("partitions", "")

    def topic_partitions_prefix(self, topic: str) -> bytes:
        return self._key("partitions", topic, "")

    def partition(self, topic: str, partition: int) -> bytes:
        return self._key("partitions", topic, partition)

    # Broker configs.
    def broker_config(self, broker_id: int | None) -> bytes:
        return self._key("config", "brokers", "default" if broker_id is None else broker_id)

    @property
    def broker_configs_prefix(self) -> bytes:
        return self._key("config", "brokers", "")

    def classify(self, key: bytes) -> tuple[str, tuple[str, ...]]:
        """Split a key into its kind and parts, e.g. (b'.../partitions/t/0') -> ('partitions',
        ('t', '0')). Keys outside the root give ('', ())."""
        if not key.startswith(self.root):
            return "", ()
        kind, *rest = key[len(self.root):].decode().split("/")
        return kind, tuple(rest)

    # Idempotent producers.
    @property
    def producer_ids_next(self) -> bytes:
        return self._key("producer_ids", "next")
