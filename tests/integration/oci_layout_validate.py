#!/usr/bin/python3
"""Validates an OCI image layout against the image-spec JSON schemas (issue 3 acceptance).

    oci_layout_validate.py SCHEMA_DIR LAYOUT_DIR

Checks oci-layout (image-layout-schema.json) and index.json (image-index-schema.json), then
every descriptor reachable from index.json: the blob exists with the descriptor's size and
digest, and indexes, image manifests and image configs validate against their schemas
(recursively through nested indexes). Uses Debian's python3-jsonschema (Draft 4, as the schemas
declare); every $ref between the schema files is resolved from SCHEMA_DIR — nothing is fetched.

Prints one line per validated document and "valid: N documents" at the end; on the first
problem prints "invalid: ..." to stderr and exits 1 (2 for a usage or schema-loading error).
"""
import hashlib
import json
import os
import re
import sys
import urllib.parse

import jsonschema

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
# RFC 3339 date-time (the schemas' "format": "date-time"; checked here so that the check does
# not depend on optional format packages).
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class Invalid(Exception):
    pass


def load_json(path, what):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        raise Invalid(f"{what}: {path} is missing")
    except ValueError as e:
        raise Invalid(f"{what}: {path} is not JSON: {e}")


class Schemas:
    def __init__(self, schema_dir):
        self.dir = schema_dir
        self.docs = {}
        for name in os.listdir(schema_dir):
            if name.endswith(".json"):
                with open(os.path.join(schema_dir, name)) as f:
                    self.docs[name] = json.load(f)
        for needed in ("image-layout-schema.json", "image-index-schema.json",
                       "image-manifest-schema.json", "config-schema.json",
                       "content-descriptor.json"):
            if needed not in self.docs:
                raise SystemExit(f"schema {needed} not found in {schema_dir}")

    def local(self, uri):
        # Every schema file names itself with an https://opencontainers.org/... id, and refs
        # are relative to the enclosing id: map any of them to the file of the same name here.
        name = os.path.basename(urllib.parse.urldefrag(uri)[0])
        if name not in self.docs:
            raise Invalid(f"schema reference {uri}: no file {name} in {self.dir}")
        return self.docs[name]

    def validate(self, document, schema_name, what):
        schema = self.docs[schema_name]
        handlers = {"http": self.local, "https": self.local, "file": self.local}
        resolver = jsonschema.RefResolver.from_schema(schema, handlers=handlers)
        validator = jsonschema.Draft4Validator(schema, resolver=resolver,
                                               format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path) or "(root)"
            raise Invalid(f"{what}: {schema_name}: at {where}: {e.message}")


class Layout:
    def __init__(self, schemas, layout_dir):
        self.schemas = schemas
        self.dir = layout_dir
        self.count = 0

    def ok(self, what):
        self.count += 1
        print(f"ok: {what}")

    def blob(self, descriptor, what):
        digest = descriptor.get("digest", "")
        algorithm, _, hex_ = digest.partition(":")
        if algorithm not in ("sha256", "sha512"):
            raise Invalid(f"{what}: unsupported digest {digest!r}")
        path = os.path.join(self.dir, "blobs", algorithm, hex_)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise Invalid(f"{what}: blob {digest} is missing ({path})")
        if len(data) != descriptor.get("size"):
            raise Invalid(f"{what}: blob {digest} has {len(data)} bytes, the descriptor says "
                          f"{descriptor.get('size')}")
        got = algorithm + ":" + hashlib.new(algorithm, data).hexdigest()
        if got != digest:
            raise Invalid(f"{what}: blob {digest} has digest {got}")
        return data

    def document(self, data, what):
        try:
            return json.loads(data)
        except ValueError as e:
            raise Invalid(f"{what}: not JSON: {e}")

    def config(self, descriptor, what):
        doc = self.document(self.blob(descriptor, what), what)
        self.schemas.validate(doc, "config-schema.json", what)
        created = doc.get("created")
        if created is not None and not RFC3339.match(created):
            raise Invalid(f"{what}: created {created!r} is not an RFC 3339 date-time")
        for i, entry in enumerate(doc.get("history") or []):
            c = entry.get("created")
            if c is not None and not RFC3339.match(c):
                raise Invalid(f"{what}: history[{i}].created {c!r} is not RFC 3339")
        self.ok(what)

    def manifest(self, descriptor, what):
        doc = self.document(self.blob(descriptor, what), what)
        self.schemas.validate(doc, "image-manifest-schema.json", what)
        if doc.get("mediaType", MANIFEST) != MANIFEST:
            raise Invalid(f"{what}: mediaType {doc.get('mediaType')!r} in an OCI layout manifest")
        self.ok(what)
        config = doc["config"]
        if config.get("mediaType") == CONFIG:
            self.config(config, f"{what} config {config['digest']}")
        for i, layer in enumerate(doc["layers"]):
            self.blob(layer, f"{what} layer {i}")

    def index(self, doc, what):
        self.schemas.validate(doc, "image-index-schema.json", what)
        self.ok(what)
        for i, entry in enumerate(doc.get("manifests", [])):
            self.schemas.validate(entry, "content-descriptor.json", f"{what} manifests[{i}]")
            child = f"{what} -> {entry['digest']}"
            media_type = entry.get("mediaType")
            if media_type == MANIFEST:
                self.manifest(entry, child)
            elif media_type == INDEX:
                self.index(self.document(self.blob(entry, child), child), child)
            else:
                self.blob(entry, child)  # an artifact: only its bytes are checked

    def run(self):
        layout = load_json(os.path.join(self.dir, "oci-layout"), "oci-layout")
        self.schemas.validate(layout, "image-layout-schema.json", "oci-layout")
        self.ok("oci-layout")
        index = load_json(os.path.join(self.dir, "index.json"), "index.json")
        self.index(index, "index.json")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    schemas = Schemas(argv[1])
    layout = Layout(schemas, argv[2])
    try:
        layout.run()
    except Invalid as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1
    print(f"valid: {layout.count} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
