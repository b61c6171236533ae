"""Write the zone label of this pod's node to a file: the broker's rack.

Runs as the brokers' init container (with the broker image: Python and nothing else needed)
when `racks.enabled`. Kubernetes' downward API exposes pod fields, not node labels, so the
init container asks the API server for the node (`spec.nodeName` comes in as NODE_NAME) with
the pod's ServiceAccount token; the chart grants `get` on nodes for that. A node without the
label gives an empty rack, which the broker treats as "no rack".

Environment: NODE_NAME, NODE_LABEL (e.g. topology.kubernetes.io/zone), RACK_FILE, and the
in-cluster API address KUBERNETES_SERVICE_HOST/PORT that Kubernetes sets in every pod.
SERVICE_ACCOUNT_DIR overrides where the token and CA are mounted (tests only).
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.request
from pathlib import Path

_DEFAULT_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def node_labels(node_name: str) -> dict[str, str]:
    account = Path(os.environ.get("SERVICE_ACCOUNT_DIR", _DEFAULT_ACCOUNT_DIR))
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:  # an IPv6 address needs brackets in a URL
        host = f"[{host}]"
    request = urllib.request.Request(
        f"https://{host}:{port}/api/v1/nodes/{node_name}",
        headers={"Authorization": f"Bearer {(account / 'token').read_text().strip()}"},
    )
    context = ssl.create_default_context(cafile=str(account / "ca.crt"))
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        node = json.load(response)
    labels: dict[str, str] = node.get("metadata", {}).get("labels", {})
    return labels


def main() -> int:
    node_name = os.environ["NODE_NAME"]
    label = os.environ["NODE_LABEL"]
    rack = node_labels(node_name).get(label, "")
    Path(os.environ["RACK_FILE"]).write_text(rack)
    print(f"node {node_name}: {label}={rack!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
