"""`kanal schema register|get|list|versions|delete|check|config|mode`: the schema registry
from the command line, over Confluent's REST API (so it works against any compatible one).

Exit codes: 0 done, 1 refused or unreachable (the registry's error code and message are
printed), 2 bad usage, 3 `check` found the schema incompatible.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TypeVar

import click

from kanal.cli.rest import DEFAULT_REGISTRY_URL, REGISTRY_URL_ENV, RestClient, with_url_option
from kanal.cli.table import render_pairs
from kanal.serde import registry_api as api
from kanal.serde.schema_types import (
    COMPATIBILITY_LEVELS,
    MODES,
    SCHEMA_TYPES,
    RegisteredSchema,
    Schema,
    SchemaId,
    SchemaReference,
    SchemaType,
)

T = TypeVar("T")
EXIT_INCOMPATIBLE = 3
_TYPES_BY_SUFFIX: dict[str, SchemaType] = {".avsc": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}

pass_registry = click.make_pass_decorator(RestClient)


def _run(registry: RestClient, call: api.ApiCall[T]) -> T:
    answer = registry.request(
        call.method, call.path, params=call.params, body=call.body, content_type=api.CONTENT_TYPE
    )
    return call.parse(answer)


@click.group()
@with_url_option("--registry-url", REGISTRY_URL_ENV, DEFAULT_REGISTRY_URL, "schema registry")
def schema() -> None:
    """Register, read, check and delete schemas in the schema registry."""


def _schema_options(command: Any) -> Any:
    for option in reversed(
        [
            click.option("--schema-file", type=click.Path(exists=True, dir_okay=False,
                         path_type=Path), help="File holding the schema ('-' is not read)."),
            click.option("--schema", "schema_text", metavar="TEXT",
                         help="The schema itself, instead of --schema-file."),
            click.option("--type", "schema_type", type=click.Choice(SCHEMA_TYPES,
                         case_sensitive=False), help="Schema type; default from the file "
                         "suffix (.avsc AVRO, .json JSON, .proto PROTOBUF), else AVRO."),
            click.option("--reference", "references", multiple=True,
                         metavar="NAME=SUBJECT:VERSION", help="A schema reference; repeat."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


def _read_schema(
    schema_file: Path | None,
    schema_text: str | None,
    schema_type: str | None,
    references: tuple[str, ...],
) -> Schema:
    if (schema_file is None) == (schema_text is None):
        raise click.UsageError("give the schema with exactly one of --schema-file or --schema")
    text = schema_file.read_text() if schema_file is not None else str(schema_text)
    guessed = _TYPES_BY_SUFFIX.get(schema_file.suffix, "AVRO") if schema_file else "AVRO"
    kind: SchemaType = guessed if schema_type is None else _schema_type(schema_type)
    return Schema(text, kind, tuple(_reference(item) for item in references))


def _schema_type(text: str) -> SchemaType:
    for kind in SCHEMA_TYPES:
        if kind == text.upper():
            return kind
    raise click.BadParameter(f"{text!r}: use one of {', '.join(SCHEMA_TYPES)}")


def _reference(text: str) -> SchemaReference:
    name, _, target = text.partition("=")
    subject, _, version = target.rpartition(":")
    if not name or not subject or not version.isdigit():
        raise click.BadParameter(
            f"{text!r}: expected NAME=SUBJECT:VERSION", param_hint="--reference"
        )
    return SchemaReference(name, subject, int(version))


@schema.command()
@click.argument("subject")
@_schema_options
@click.option("--normalize", is_flag=True, help="Let the registry normalize the schema first.")
@pass_registry
def register(
    registry: RestClient,
    *,
    subject: str,
    schema_file: Path | None,
    schema_text: str | None,
    schema_type: str | None,
    references: tuple[str, ...],
    normalize: bool,
) -> None:
    """Register a schema under SUBJECT (idempotent) and print its id."""
    new = _read_schema(schema_file, schema_text, schema_type, references)
    schema_id = _run(registry, api.register(subject, new, normalize=normalize))
    click.echo(f"Registered under {subject}: schema id {schema_id}.")


@schema.command()
@click.argument("subject", required=False)
@click.option("--version", default="latest", show_default=True, help="Version of SUBJECT.")
@click.option("--id", "schema_id", type=int, help="Read the schema with this id instead.")
@click.option("--deleted", is_flag=True, help="Include soft-deleted versions.")
@click.option("--schema-only", is_flag=True, help="Print only the schema text.")
@pass_registry
def get(
    registry: RestClient,
    *,
    subject: str | None,
    version: str,
    schema_id: int | None,
    deleted: bool,
    schema_only: bool,
) -> None:
    """Print a version of SUBJECT (default latest), or the schema with --id."""
    if (subject is None) == (schema_id is None):
        raise click.UsageError("give a SUBJECT or --id, not both")
    if schema_id is not None:
        found = _run(registry, api.schema_by_id(SchemaId(schema_id)))
        click.echo(_pretty(found))
        return
    assert subject is not None
    registered = _run(registry, api.version(subject, version, deleted=deleted))
    if not schema_only:
        click.echo(render_pairs(_describe(registered)))
        click.echo()
    click.echo(_pretty(registered.schema))


def _describe(registered: RegisteredSchema) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        ("subject", registered.subject),
        ("version", registered.version),
        ("id", registered.schema_id),
        ("type", registered.schema.schema_type),
    ]
    pairs += [
        ("reference", f"{ref.name} = {ref.subject} version {ref.version}")
        for ref in registered.schema.references
    ]
    return pairs


def _pretty(found: Schema) -> str:
    if found.schema_type == "PROTOBUF":
        return found.schema_str
    try:
        return json.dumps(json.loads(found.schema_str), indent=2)
    except ValueError:
        return found.schema_str


@schema.command("list")
@click.option("--prefix", help="Only subjects starting with this.")
@click.option("--deleted", is_flag=True, help="Include soft-deleted subjects.")
@pass_registry
def list_subjects(registry: RestClient, prefix: str | None, deleted: bool) -> None:
    """Print every subject, one per line."""
    for subject in _run(registry, api.subjects(prefix=prefix, deleted=deleted)):
        click.echo(subject)


@schema.command()
@click.argument("subject")
@click.option("--deleted", is_flag=True, help="Include soft-deleted versions.")
@pass_registry
def versions(registry: RestClient, subject: str, deleted: bool) -> None:
    """Print the versions of SUBJECT, one per line."""
    for number in _run(registry, api.versions(subject, deleted=deleted)):
        click.echo(number)


@schema.command()
@click.argument("subject")
@click.option("--version", help="Delete this version only (a number, or latest).")
@click.option(
    "--permanent",
    is_flag=True,
    help="Hard delete (only after a soft delete, as the registry asks).",
)
@pass_registry
def delete(registry: RestClient, subject: str, version: str | None, permanent: bool) -> None:
    """Delete SUBJECT (every version) or one version of it; soft unless --permanent."""
    how = "permanently deleted" if permanent else "deleted"
    if version is None:
        gone = _run(registry, api.delete_subject(subject, permanent=permanent))
        click.echo(f"{subject}: {how} version(s) {', '.join(map(str, gone)) or 'none'}.")
    else:
        number = _run(registry, api.delete_version(subject, version, permanent=permanent))
        click.echo(f"{subject}: {how} version {number}.")


@schema.command()
@click.argument("subject")
@_schema_options
@click.option("--version", default="latest", show_default=True, help="Version to check against.")
@click.option("--all", "against_all", is_flag=True, help="Check against every live version.")
@pass_registry
def check(
    registry: RestClient,
    *,
    subject: str,
    schema_file: Path | None,
    schema_text: str | None,
    schema_type: str | None,
    references: tuple[str, ...],
    version: str,
    against_all: bool,
) -> None:
    """Check a schema against SUBJECT's compatibility setting; exit 3 when incompatible."""
    candidate = _read_schema(schema_file, schema_text, schema_type, references)
    target = None if against_all else version
    result = _run(registry, api.compatibility(subject, candidate, version=target, verbose=True))
    if result.is_compatible:
        click.echo("compatible")
        return
    click.echo("incompatible")
    for message in result.messages:
        click.echo(f"  {message}")
    sys.exit(EXIT_INCOMPATIBLE)


@schema.command()
@click.argument("subject", required=False)
@click.option(
    "--set", "level", type=click.Choice(COMPATIBILITY_LEVELS, case_sensitive=False),
    help="Set the compatibility level (of SUBJECT, or the global one).",
)  # fmt: skip
@click.option("--normalize/--no-normalize", default=None,
              help="Register and look up schemas normalized (Confluent's `normalize`).")
@click.option("--delete", "remove", is_flag=True, help="Remove SUBJECT's own config.")
@pass_registry
def config(registry: RestClient, subject: str | None, level: str | None,
           normalize: bool | None, remove: bool) -> None:
    """Print (or --set, --normalize, --delete) the config of SUBJECT or the global one: every
    field it sets, under Confluent's names; SUBJECT's unset fields come from the global one."""
    if remove:
        if subject is None or level is not None or normalize is not None:
            raise click.UsageError("--delete needs a SUBJECT and neither --set nor --normalize")
        _run(registry, api.delete_config(subject))
    changes: dict[str, object] = {}
    if level is not None:
        changes["compatibility"] = level.upper()
    if normalize is not None:
        changes["normalize"] = normalize
    if changes:
        _run(registry, api.update_config_settings(changes, subject))
    settings = _run(registry, api.config_settings(subject, default_to_global=True))
    click.echo(render_pairs((name, _config_value(value)) for name, value in settings.items()))


def _config_value(value: object) -> str:
    """A config field as JSON writes it (`true`, not Python's `True`; objects compact)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@schema.command()
@click.argument("subject", required=False)
@click.option(
    "--set", "mode", type=click.Choice(MODES, case_sensitive=False),
    help="Set the mode (of SUBJECT, or the global one).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="IMPORT even when schemas exist.")
@pass_registry
def mode(registry: RestClient, subject: str | None, mode: str | None, force: bool) -> None:
    """Print (or --set) the mode of SUBJECT or the global one."""
    if mode is not None:
        click.echo(_run(registry, api.set_mode(mode, subject, force=force)))
    else:
        click.echo(_run(registry, api.get_mode(subject)))
