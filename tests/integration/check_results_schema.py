#!/usr/bin/env python3
"""Validates a results.json against docs/results.schema.json.

A small, dependency-free checker for the JSON Schema keywords that schema
uses (type, const, enum, required, properties, additionalProperties as a
schema, items, minimum, if/then/else), so the test runs on a fresh Debian without
python3-jsonschema. Also checks what a schema cannot say: every sample's
backend and workload are declared. Usage: check_results_schema.py SCHEMA RESULTS
"""
import json
import sys

TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


def type_ok(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def check(v, s, path, errs):
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, t) for t in ts):
            errs.append(f"{path}: expected {s['type']}, got {type(v).__name__}")
            return
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: expected {s['const']!r}, got {v!r}")
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: {v!r} not one of {s['enum']}")
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        errs.append(f"{path}: {v} < minimum {s['minimum']}")
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: missing required \"{k}\"")
        props = s.get("properties", {})
        for k, sub in props.items():
            if k in v:
                check(v[k], sub, f"{path}.{k}", errs)
        ap = s.get("additionalProperties")
        if isinstance(ap, dict):
            for k, x in v.items():
                if k not in props:
                    check(x, ap, f"{path}.{k}", errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            check(x, s["items"], f"{path}[{i}]", errs)
    if "if" in s:
        probe = []
        check(v, s["if"], path, probe)
        branch = "then" if not probe else "else"
        if branch in s:
            check(v, s[branch], path, errs)


def main():
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    errs = []
    check(doc, schema, "$", errs)
    if not errs:
        names = {b["name"] for b in doc["backends"]}
        wls = {w["name"] for w in doc["workloads"]}
        for i, smp in enumerate(doc["samples"]):
            if smp["backend"] not in names:
                errs.append(f"$.samples[{i}]: backend {smp['backend']!r} not declared")
            if smp["workload"] not in wls:
                errs.append(f"$.samples[{i}]: workload {smp['workload']!r} not declared")
    for e in errs[:20]:
        print("schema:", e)
    if errs:
        sys.exit(1)
    print(f"schema: {sys.argv[2]} valid ({len(doc['samples'])} samples)")


if __name__ == "__main__":
    main()
