"""Forwarding a request to another worker: writes to the leader (Kafka's forwarding of
config changes), a task restart to the worker that runs the task. A forwarded request
carries a marker header so it is never forwarded twice."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from kanal.tracing.http_client import http_client_trace_configs

from kanal_connect.worker.errors import NotLeader, RebalanceInProgress

FORWARDED_HEADER = "X-Kanal-Connect-Forwarded"
TIMEOUT = aiohttp.ClientTimeout(total=60)


async def forward(request: web.Request, base_url: str) -> web.Response:
    if request.headers.get(FORWARDED_HEADER):
        raise RebalanceInProgress("Request forwarded to a worker that is not the leader; "
                                  "the cluster is rebalancing")
    body = await request.read() or None  # cached when the handler read it already
    url = base_url.rstrip("/") + request.rel_url.path_qs
    headers = {FORWARDED_HEADER: "1", "Content-Type": "application/json"}
    # Under the REST span: the leader's span joins the caller's trace (nothing when off).
    traced = http_client_trace_configs()
    async with aiohttp.ClientSession(timeout=TIMEOUT, trace_configs=traced) as session, \
            session.request(request.method, url, data=body, headers=headers) as answer:
        payload = await answer.read()
        return web.Response(status=answer.status, body=payload or None,
                            content_type="application/json" if payload else None)


def leader_url(error: NotLeader) -> str:
    if not error.leader_url:
        raise RebalanceInProgress("The leader is not known yet; the cluster is rebalancing")
    return error.leader_url
