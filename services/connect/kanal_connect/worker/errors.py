"""The REST-visible failures of the worker's operations, under kanal_connect's ConnectError
root; `http_status` is the only mapping the REST and gRPC edges use."""

from __future__ import annotations

from http import HTTPStatus

from kanal_connect.errors import ConnectError


class NotFound(ConnectError):
    """The connector, task or plugin does not exist."""

    http_status = HTTPStatus.NOT_FOUND


class AlreadyExists(ConnectError):
    """A connector by that name exists."""

    http_status = HTTPStatus.CONFLICT


class RebalanceInProgress(ConnectError):
    """The cluster is rebalancing; the request may be repeated shortly."""

    http_status = HTTPStatus.CONFLICT


class BadRequest(ConnectError):
    """The request is malformed or not allowed in the current state."""

    http_status = HTTPStatus.BAD_REQUEST


class NotLeader(ConnectError):
    """This worker is not the leader; the REST edge forwards the request to `leader_url`."""

    http_status = HTTPStatus.CONFLICT

    def __init__(self, leader_url: str) -> None:
        super().__init__(f"Cannot complete request because this worker is not the leader "
                         f"({leader_url or 'unknown'})")
        self.leader_url = leader_url
