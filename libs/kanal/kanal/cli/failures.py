"""How commands fail: one line on stderr naming the error class and code, a non-zero exit.

Kanal errors print as `Error: [UnknownTopicOrPartition:3] <message>` (exit 1); gRPC errors the
SDK did not translate as `Error: [grpc UNAVAILABLE] <details>` (exit 1); bad usage is click's
own (exit 2); Ctrl-C exits 130 quietly; a closed stdout (`kanal consume t | head`) exits 0.
Anything else is a bug: one line naming the exception, the traceback only with KANAL_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any, cast

import click
import grpc

from kanal.errors import KanalError

DEBUG_ENV = "KANAL_DEBUG"
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


class CommandFailed(click.ClickException):
    exit_code = EXIT_FAILURE

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class KanalGroup(click.Group):
    """The root group: every subcommand runs inside its `invoke`, so this catches them all."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KanalError as error:
            raise CommandFailed(first_line(str(error))) from None
        except grpc.RpcError as error:
            call = cast(grpc.Call, error)  # grpc's raised errors are Calls too
            raise CommandFailed(
                f"[grpc {call.code().name}] {first_line(call.details() or '')}"
            ) from None
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            raise CommandFailed(
                f"[{type(error).__name__}] {first_line(str(error))} "
                f"(set {DEBUG_ENV}=1 for the traceback)"
            ) from None


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
