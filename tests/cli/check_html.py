#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks one HTML report of n1digest: escaped and self-contained.

usage: check_html.py PAGE [--shows TEXT]... [--rows ATTR=N]...

PAGE must be valid UTF-8; parsed as HTML it must hold exactly one
<script> element, the page's own inline one, no element that loads or
embeds anything (img, iframe, object, embed, link, audio, video, source,
base, form), no attribute that runs code (on*) or names a resource (src,
href other than "#..." anchors, srcset, action), and no remote address
anywhere in its bytes. Each --shows TEXT must appear in the page's text
as the browser would decode it: the log's text shown, but as text. Each
--rows ATTR=N says how many elements carry data-n1="ATTR".
Prints one line per problem; exits 1 when there is any.
"""
import re
import sys
from html.parser import HTMLParser

FORBIDDEN_TAGS = {"img", "iframe", "object", "embed", "link", "audio",
                  "video", "source", "base", "form", "frame", "meta-refresh"}

# How the page's own script starts (src/report/html.c).
OWN_SCRIPT = "\n(function(){'use strict';"


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.scripts = 0
        self.script_ends = 0
        self.in_script = False
        self.script_text = []
        self.text = []
        self.rows = {}

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
            self.in_script = True
            if any(k == "src" for k, _ in attrs):
                self.problems.append("a <script> with src")
        if tag in FORBIDDEN_TAGS:
            self.problems.append("a <%s> element" % tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("an %s attribute on <%s>" % (k, tag))
            if k in ("src", "srcset", "action", "formaction", "xlink:href"):
                self.problems.append("a %s attribute on <%s>" % (k, tag))
            if k == "href" and not (v or "").startswith("#"):
                self.problems.append("href %r on <%s>" % (v, tag))
            if k == "data-n1":
                self.rows[v] = self.rows.get(v, 0) + 1

    def handle_endtag(self, tag):
        if tag == "script":
            self.script_ends += 1
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.script_text.append(data)
        else:
            self.text.append(data)


def main(argv):
    page = argv[1]
    shows = []
    rows = {}
    i = 2
    while i < len(argv):
        if argv[i] == "--shows":
            shows.append(argv[i + 1])
        elif argv[i] == "--rows":
            k, n = argv[i + 1].split("=")
            rows[k] = int(n)
        else:
            sys.exit("check_html.py: unknown argument %s" % argv[i])
        i += 2
    raw = open(page, "rb").read()
    problems = []
    try:
        doc = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("not UTF-8: %s" % e)
        doc = raw.decode("utf-8", "replace")
    if re.search(r"(?i)(https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/|url\(|@import)",
                 doc):
        problems.append("a remote address or CSS import: %s" %
                        re.search(r"(?i)(https?:|ftp:|//[a-z0-9.-]+\.[a-z]"
                                  r"{2,}/|url\(|@import).{0,40}",
                                  doc).group(0))
    p = Page()
    p.feed(doc)
    p.close()
    problems += p.problems
    if p.scripts != 1 or p.script_ends != 1:
        problems.append("%d <script> and %d </script> tags, expected 1" %
                        (p.scripts, p.script_ends))
    # The one script must be the page's own, from its first byte: text
    # that opened a script of its own would have swallowed it.
    if not "".join(p.script_text).startswith(OWN_SCRIPT):
        problems.append("the script is not the page's own: %r" %
                        "".join(p.script_text)[:60])
    text = "".join(p.text)
    for s in shows:
        if s not in text:
            problems.append("the page does not show %r as text" % s)
    for k, n in rows.items():
        if p.rows.get(k, 0) != n:
            problems.append("%d data-n1=%s elements, expected %d" %
                            (p.rows.get(k, 0), k, n))
    for msg in problems:
        print("%s: %s" % (page, msg))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
