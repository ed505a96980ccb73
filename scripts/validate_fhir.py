#!/usr/bin/env python3
"""Validates FHIR R4 JSON resources with an external validator.

Each argument is a .json file or a directory of them (the CarePlans that
`tests/serve.rs` writes when CAREPLAN_FHIR_OUT is set). Every resource is
parsed by the R4 (4.0.1) models of the `fhir.resources` package
(scripts/requirements-fhir.txt), which refuse unknown elements, wrong
types, missing required elements and bad cardinality, in the resource and
in its contained resources. The models do not check required value sets,
so the codes careplan writes are checked here against R4's lists.

Exit status 0 when every file is valid and at least one was checked; 1
otherwise, naming each file and what is wrong.
"""

import json
import pathlib
import sys

from fhir.resources import FHIRAbstractModel, construct_fhir_element  # noqa: F401

# R4 required bindings of the elements careplan writes.
REQUIRED = {
    "CarePlan": {
        "status": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
        "intent": {"proposal", "plan", "order", "option"},
    },
    "RequestGroup": {
        "status": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
        "intent": {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                   "filler-order", "instance-order", "option"},
    },
    "ServiceRequest": {
        "status": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
        "intent": {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                   "filler-order", "instance-order", "option"},
        "priority": {"routine", "urgent", "asap", "stat"},
    },
    "DetectedIssue": {
        "status": {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                   "entered-in-error", "unknown"},
        "severity": {"high", "moderate", "low"},
    },
}


def codes(resource, where):
    problems = []
    for key, allowed in REQUIRED.get(resource.get("resourceType"), {}).items():
        if key in resource and resource[key] not in allowed:
            problems.append(f"{where}.{key}: `{resource[key]}` is not one of {sorted(allowed)}")
    ids = {c.get("id") for c in resource.get("contained", [])}
    for i, c in enumerate(resource.get("contained", [])):
        problems += codes(c, f"{where}.contained[{i}]")

    # dom-3: every contained resource is referenced from the container.
    text = json.dumps({k: v for k, v in resource.items() if k != "contained"})
    text += json.dumps(resource.get("contained", []))
    for cid in ids:
        if f'"#{cid}"' not in text:
            problems.append(f"{where}.contained `{cid}` is not referenced (dom-3)")
    return problems


def check(path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"cannot read: {e}"]
    kind = data.get("resourceType")
    if not isinstance(kind, str):
        return ["no resourceType"]
    try:
        construct_fhir_element(kind, data)
    except Exception as e:  # the models raise pydantic errors and others
        return [str(e).replace("\n", "; ")]
    return codes(data, kind)


def main(args):
    files = []
    for a in args:
        p = pathlib.Path(a)
        files += sorted(p.glob("*.json")) if p.is_dir() else [p]
    if not files:
        print("validate_fhir: no files to check", file=sys.stderr)
        return 1
    failed = 0
    for f in files:
        problems = check(f)
        if problems:
            failed += 1
            for pr in problems:
                print(f"{f}: {pr}", file=sys.stderr)
        else:
            print(f"{f}: valid FHIR R4")
    print(f"validate_fhir: {len(files) - failed} of {len(files)} valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
