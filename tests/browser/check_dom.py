#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the DOM headless Chromium dumped from an n1digest HTML report.

usage: check_dom.py DOM JSON KIND [--charts N]

KIND says what the JSON report of the same run holds and which rows
the page must have as many of: "digest" (classes: data-n1="class"),
"analyze" (classes: data-n1="finding", their occurrences:
data-n1="occurrence") or "check" (results: data-n1="result", stale:
data-n1="stale"). The DOM must also show that the page's script ran to
its end (data-n1-ready on <html>), that nothing injected ran (the title
is the page's, no element carries id "pwned", no <img>, exactly one
<script>), and hold at least N inline SVG charts (svg.n1-chart), one
captioned TEXT for each --caption. Prints one line per problem; exits 1
when there is any.
"""
import json
import re
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows = {}
        self.tags = {}
        self.ready = False
        self.ids = set()
        self.charts = 0
        self.title = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html" and a.get("data-n1-ready") == "1":
            self.ready = True
        if "data-n1" in a:
            self.rows[a["data-n1"]] = self.rows.get(a["data-n1"], 0) + 1
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg" and "n1-chart" in (a.get("class") or "").split():
            self.charts += 1
        if tag == "title" and self._in is None:
            self._in = tag
            self._text = ""

    def handle_endtag(self, tag):
        if tag == self._in:
            if self.title is None:
                self.title = self._text
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._text += data


def expected(doc, kind):
    if kind == "digest":
        return {"class": len(doc["classes"])}
    if kind == "analyze":
        return {"finding": len(doc["classes"]),
                "occurrence": sum(len(c["occurrences"])
                                  for c in doc["classes"])}
    return {"result": len(doc["results"]), "stale": len(doc["stale"])}


def main(argv):
    dom_path, json_path, kind = argv[1:4]
    charts = 1
    i = 4
    while i < len(argv):
        if argv[i] == "--charts":
            charts = int(argv[i + 1])
        i += 2
    text = open(dom_path, encoding="utf-8").read()
    doc = json.load(open(json_path, encoding="utf-8"))
    d = Dom()
    d.feed(text)
    d.close()
    problems = []
    for k, n in expected(doc, kind).items():
        if d.rows.get(k, 0) != n:
            problems.append("%d data-n1=%s rows, the JSON has %d" %
                            (d.rows.get(k, 0), k, n))
    if not d.ready:
        problems.append("the page's script did not run to its end")
    if d.title is None or not re.match(r"n1digest[ :]", d.title):
        problems.append("the title is %r, not the page's" % d.title)
    if "pwned" in d.ids or d.tags.get("img", 0) > 0:
        problems.append("an injected element is in the DOM")
    if d.tags.get("script", 0) != 1:
        problems.append("%d <script> elements" % d.tags.get("script", 0))
    if d.charts < charts:
        problems.append("%d SVG charts, expected at least %d" %
                        (d.charts, charts))
    for msg in problems:
        print("%s: %s" % (dom_path, msg))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
