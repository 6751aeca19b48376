#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the CI outputs of `n1digest check`.

usage:
  check_ci.py sarif FILE SCHEMA   validate FILE against SCHEMA (jsonschema),
                                  then the cross references a schema cannot
                                  express (ruleId/ruleIndex point at a
                                  driver rule, ids unique)
  check_ci.py junit FILE          parse FILE with xml.etree and check the
                                  structure and every count attribute
  check_ci.py ids FILE            print "state rule id" of each result of a
                                  --format json report, one per line
Exit status 0 when the file is fine, 1 with the reasons on stderr.
"""
import json
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("check_ci: " + msg, file=sys.stderr)
    sys.exit(1)


def check_sarif(path, schema_path):
    import jsonschema

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc),
                    key=lambda e: list(e.path))
    if errors:
        for e in errors[:10]:
            print("check_ci: %s: %s" % ("/".join(map(str, e.path)),
                                         e.message), file=sys.stderr)
        fail("%s does not validate against %s" % (path, schema_path))
    for run in doc["runs"]:
        rules = [r["id"] for r in run["tool"]["driver"].get("rules", [])]
        if len(set(rules)) != len(rules):
            fail("duplicate rule ids in tool.driver.rules")
        seen = set()
        for res in run.get("results", []):
            rid = res["ruleId"]
            if rid not in rules:
                fail("result ruleId %r is not a driver rule" % rid)
            if "ruleIndex" in res and rules[res["ruleIndex"]] != rid:
                fail("ruleIndex of %r points at %r" %
                     (rid, rules[res["ruleIndex"]]))
            fp = tuple(sorted(res["partialFingerprints"].items()))
            if fp in seen:
                fail("two results share partialFingerprints %r" % (fp,))
            seen.add(fp)


def count(elem, tag):
    return sum(1 for _ in elem.iter(tag))


def check_junit(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed XML: %s" % (path, e))
    if root.tag != "testsuites":
        fail("root element is %r, not testsuites" % root.tag)
    suites = root.findall("testsuite")
    if not suites:
        fail("no testsuite")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        cases = s.findall("testcase")
        got = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for k, v in got.items():
            if int(s.get(k, "-1")) != v:
                fail("testsuite %s=%s, counted %d" % (k, s.get(k), v))
            totals[k] += v
        for c in cases:
            if not c.get("name") or not c.get("classname"):
                fail("testcase without name or classname")
            if len(list(c)) > 1:
                fail("testcase %r has more than one child" % c.get("name"))
            for tag in ("failure", "error"):
                f = c.find(tag)
                if f is not None and not f.get("message"):
                    fail("%s without message in %r" % (tag, c.get("name")))
    for k, v in totals.items():
        if int(root.get(k, "-1")) != v:
            fail("testsuites %s=%s, counted %d" % (k, root.get(k), v))


def print_ids(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for r in doc["results"]:
        print(r["state"], r["rule"], r["id"], "FAIL" if r["fails"] else "-")


def main(argv):
    if len(argv) == 4 and argv[1] == "sarif":
        check_sarif(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "junit":
        check_junit(argv[2])
    elif len(argv) == 3 and argv[1] == "ids":
        print_ids(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
