"""Kanal's connect worker (Kafka Connect-compatible): the pure-logic layer.

`data` is Kafka Connect's data model (schemas, structs, records), `converters` turn it into
record bytes and back, `transforms` and `predicates` are Kafka's bundled SMTs, and `chain`
builds and validates a transformation chain from a connector config as Kafka Connect does.
The worker process (REST on 8083, distributed mode, connectors) builds on these.
"""

from kanal_connect.chain import TransformationChain, build_chain, validate_chain_config
from kanal_connect.errors import ConnectError, DataException, InvalidConnectorConfig

__all__ = [
    "ConnectError",
    "DataException",
    "InvalidConnectorConfig",
    "TransformationChain",
    "build_chain",
    "validate_chain_config",
]
