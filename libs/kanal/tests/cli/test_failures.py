"""Commands fail in one line naming the error class and code, never with a traceback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import click
import grpc
import pytest
from click.testing import CliRunner
from kanal.cli.failures import KanalGroup
from kanal.errors import UnknownTopicOrPartition
from kanal.v1 import controller_pb2, controller_pb2_grpc


def _group_raising(error: BaseException) -> click.Group:
    @click.group(cls=KanalGroup)
    def root() -> None:
        """Test root."""

    @root.command()
    def boom() -> None:
        """Raise."""
        raise error

    return root


def _run(error: BaseException, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(_group_raising(error), ["boom"], env=env)
    return result.exit_code, result.stderr


def test_kanal_errors_print_class_code_and_first_line() -> None:
    code, stderr = _run(UnknownTopicOrPartition("topic 'x' does not exist\nmore detail"))
    assert code == 1
    assert stderr == "Error: [UnknownTopicOrPartition:3] topic 'x' does not exist\n"


def test_unexpected_errors_are_one_line_with_a_debug_hint() -> None:
    code, stderr = _run(RuntimeError("disk on fire"))
    assert code == 1
    assert stderr.strip() == (
        "Error: [RuntimeError] disk on fire (set KANAL_DEBUG=1 for the traceback)"
    )


def test_debug_env_lets_the_traceback_through() -> None:
    result = CliRunner().invoke(
        _group_raising(RuntimeError("x")), ["boom"], env={"KANAL_DEBUG": "1"}
    )
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize("error", [click.UsageError("bad"), click.BadParameter("bad")])
def test_usage_errors_stay_clicks(error: click.ClickException) -> None:
    code, stderr = _run(error)
    assert code == 2
    assert "bad" in stderr


def test_interrupt_exits_130() -> None:
    code, _ = _run(KeyboardInterrupt())
    assert code == 130


def test_untranslated_grpc_errors_name_their_status() -> None:
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = controller_pb2_grpc.ControllerStub(channel)
            try:
                stub.DescribeCluster(controller_pb2.DescribeClusterRequest(), timeout=5)
            except grpc.RpcError as error:
                code, stderr = _run(error)
    finally:
        server.stop(None).wait()
    assert code == 1
    assert stderr.startswith("Error: [grpc UNIMPLEMENTED]")
    assert len(stderr.splitlines()) == 1
