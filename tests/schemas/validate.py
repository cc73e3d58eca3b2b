#!/usr/bin/env python3
"""Validate an OPDS 2.0 feed or a Readium audiobook manifest, offline.

Usage:
    python validate.py opds FILE        # OPDS 2.0 feed (publications included)
    python validate.py audiobook FILE   # Readium Web Publication Manifest

Every *.json file below this directory is loaded into a `referencing.Registry`,
keyed by the URL in its `$id` (or legacy `id`) and by its file:// URL, so that
every `$ref` -- relative or absolute (https://readium.org/..., https://drafts.opds.io/...)
-- resolves locally. Nothing is fetched from the network.

Requires the PyPI packages `jsonschema` (4.x) and `referencing`.
Exit status: 0 when the document is valid, 1 when it is not, 2 on usage or setup errors.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path(__file__).resolve().parent

OPDS_FEED = "https://drafts.opds.io/schema/feed.schema.json"
READIUM_PUBLICATION = "https://readium.org/webpub-manifest/schema/publication.schema.json"

TARGETS = {
    "opds": [OPDS_FEED],
    # The Readium audiobook profile (profiles/audiobook.md) has no JSON Schema
    # of its own upstream, so an audiobook manifest is checked against the core
    # Readium Web Publication Manifest schema only.
    "audiobook": [READIUM_PUBLICATION],
}

# Workaround for Python's `re`: the Readium schemas (metadata, link,
# language-map) validate BCP 47 language tags with a pattern that uses
# ECMAScript/PCRE named groups `(?<name>...)`, which Python only accepts as
# `(?P<name>...)`. Without this, jsonschema raises re.error instead of
# validating. We rewrite only that group syntax, only in `pattern` values and
# `patternProperties` keys, and only when the original does not compile; the
# rewritten regex matches exactly the same strings. The files on disk stay
# verbatim.
_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")


def _python_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
        return pattern
    except re.error:
        fixed = _NAMED_GROUP.sub("(?P<", pattern)
        re.compile(fixed)  # anything else Python rejects should fail loudly
        return fixed


def _fix_patterns(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                out[key] = _python_regex(value)
            elif key == "patternProperties" and isinstance(value, dict):
                out[key] = {_python_regex(k): _fix_patterns(v) for k, v in value.items()}
            else:
                out[key] = _fix_patterns(value)
        return out
    if isinstance(node, list):
        return [_fix_patterns(v) for v in node]
    return node


def _refs(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def load_registry() -> tuple[Registry, dict[str, dict]]:
    registry = Registry()
    schemas: dict[str, dict] = {}
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        contents = _fix_patterns(json.loads(path.read_text(encoding="utf-8")))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        # feed-metadata.schema.json still uses the pre-draft-06 `id` keyword.
        uri = contents.get("$id") or contents.get("id") or path.as_uri()
        schemas[uri] = contents
        registry = registry.with_resources([(uri, resource), (path.as_uri(), resource)])
    registry = registry.crawl()

    # Fail early (and clearly) if a schema points at a file we do not have.
    for uri, contents in schemas.items():
        resolver = registry.resolver(base_uri=uri)
        for ref in _refs(contents):
            if ref.startswith("#"):
                continue
            try:
                resolver.lookup(ref)
            except Unresolvable:
                print(
                    f"setup error: {uri} references {urljoin(uri, ref)}, "
                    "which is not under tests/schemas",
                    file=sys.stderr,
                )
                raise SystemExit(2)
    return registry, schemas


def validate(kind: str, document) -> list[str]:
    registry, schemas = load_registry()
    problems: list[str] = []
    for uri in TARGETS[kind]:
        schema = schemas[uri]
        cls = validator_for(schema)  # the draft the schema declares ($schema)
        cls.check_schema(schema)
        # "format" is asserted where jsonschema can check it with what is installed
        # (date, email, ...); uri / uri-reference / date-time / uri-template are only
        # enforced if jsonschema's optional format packages are installed.
        validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            problems.append(_describe(error, uri))
    return problems


def _describe(error, schema_uri: str) -> str:
    message = error.message
    if error.validator == "pattern" and len(str(error.validator_value)) > 60:
        # The BCP 47 regex is ~600 characters long; keep the message readable.
        message = f"{error.instance!r} does not match the pattern '{error.validator_value[:50]}...'"
    lines = [f"{error.json_path}: {message}"]
    sub = error.schema if isinstance(error.schema, dict) else {}
    value = error.validator_value if isinstance(error.validator_value, dict) else {}
    where = value.get("description") or sub.get("description") or sub.get("title") or schema_uri
    lines.append(f"    (keyword '{error.validator}': {where})")
    # anyOf / oneOf / contains failures: show why each branch was rejected.
    for ctx in sorted(error.context or [], key=lambda e: list(e.absolute_path)):
        lines.append(f"    - {ctx.json_path}: {ctx.message}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in TARGETS:
        print(f"usage: {Path(argv[0]).name} {{{'|'.join(TARGETS)}}} FILE", file=sys.stderr)
        return 2
    try:
        document = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {argv[2]}: {exc}", file=sys.stderr)
        return 2
    problems = validate(argv[1], document)
    if problems:
        for problem in problems:
            print(problem)
        print(f"{len(problems)} validation error(s)")
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
