#!/usr/bin/env python3
"""Writes crates/sluice-wire/models/<service>.json: botocore's service models without their
documentation (shapes, members, types, constraints, operations' input shapes), which the wire
crate reads to check request bodies as AWS does.

Run with the test virtualenv's Python (it has botocore): .venv/bin/python scripts/wire-models.py
"""
import gzip
import json
import os

import botocore

SERVICES = {"kinesis": "2013-12-02"}
KEEP = ("type", "members", "member", "key", "value", "required", "min", "max", "pattern", "enum")

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
data = os.path.join(os.path.dirname(botocore.__file__), "data")
for service, version in SERVICES.items():
    with gzip.open(os.path.join(data, service, version, "service-2.json.gz")) as f:
        model = json.load(f)
    shapes = {}
    for name, shape in model["shapes"].items():
        out = {k: shape[k] for k in KEEP if k in shape}
        if "members" in out:
            out["members"] = {m: v["shape"] for m, v in shape["members"].items()}
        for k in ("member", "key", "value"):
            if k in out:
                out[k] = out[k]["shape"]
        shapes[name] = out
    operations = {
        name: op["input"]["shape"] for name, op in model["operations"].items() if "input" in op
    }
    out = {
        "botocore": botocore.__version__,
        "apiVersion": version,
        "operations": dict(sorted(operations.items())),
        "shapes": dict(sorted(shapes.items())),
    }
    path = os.path.join(root, "crates", "sluice-wire", "models", f"{service}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0, sort_keys=False)
        f.write("\n")
    print(f"{os.path.relpath(path, root)}: {len(operations)} operations, {len(shapes)} shapes (botocore {botocore.__version__})")
