#!/usr/bin/env python3
"""Seeds the fuzz corpora from the project's own files.

  parse, load: rules/*.rules, tests/check/*.rules, tests/format/*
  eval:        every profile in tests/reference/*.yaml as a JSON file, and
               for a case with a context, `[profile, context]` as well

Numbers keep the digits written in the YAML (`1835.40` stays `1835.40`), so
the seeds exercise exact decimals. Needs PyYAML. Usage: fuzz/seeds.py
(from anywhere); writes fuzz/corpus/{parse,load,eval}/.
"""
import hashlib
import json
import pathlib
import re
import sys

import yaml

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent


class Raw(str):
    """A YAML number kept as the text that was written."""


class Loader(yaml.SafeLoader):
    pass


def keep_text(loader, node):
    return Raw(loader.construct_scalar(node))


Loader.add_constructor("tag:yaml.org,2002:int", keep_text)
Loader.add_constructor("tag:yaml.org,2002:float", keep_text)

JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


def dump(v):
    if isinstance(v, Raw):
        text = v.replace("_", "")
        return text if JSON_NUMBER.match(text) else json.dumps(str(v))
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dump(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    return json.dumps(v)


def put(directory, data):
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    (directory / name).write_bytes(data)


def main():
    corpus = FUZZ / "corpus"
    n = {"parse": 0, "load": 0, "eval": 0}
    texts = sorted(ROOT.glob("rules/*.rules")) + sorted(ROOT.glob("tests/check/*.rules"))
    texts += sorted(p for p in ROOT.glob("tests/format/*") if p.is_file())
    for path in texts:
        data = path.read_bytes()
        for target in ("parse", "load"):
            put(corpus / target, data)
            n[target] += 1
    for path in sorted(ROOT.glob("tests/reference/*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
        for case in doc.get("cases", []):
            profile = case.get("profile")
            put(corpus / "eval", dump(profile).encode())
            n["eval"] += 1
            if case.get("context") is not None:
                put(corpus / "eval", dump([profile, case["context"]]).encode())
                n["eval"] += 1
    for example in ("examples/client.json", "examples/context.json"):
        put(corpus / "eval", (ROOT / example).read_bytes())
        n["eval"] += 1
    print(", ".join(f"{k}: {v} seeds" for k, v in n.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
