#!/usr/bin/env python3
"""Checks `nstack demo --report DIR` against the demo's text output.

  report_check.py static  TEXT DIR            every page of DIR, parsed here
  report_check.py browser TEXT DIR SHOTS PAGE...  the PAGEs as headless
        Chromium shows them (file://): no console error, every image
        loaded, a screenshot of each into SHOTS

Both assert that every image and link resolves to an existing file, and
that the figures and checks on the pages are the text output's: each
scenario's checks (text and verdict, in order) equal the "[ok]"/"[FAILED]"
lines of its section, each figure's measured value appears in its
section, the index lists every scenario with its check count and verdict.
Standard library only; the browser is driven over the DevTools protocol
with a minimal WebSocket client. Exit status 0 when all hold."""
import base64
import html.parser
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


# ---- the text output ------------------------------------------------------
def parse_text(path):
    """{scenario: {"what", "text", "checks": [(what, pass)]}} in order."""
    sections, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^=== ([^:]+): (.*) ===$", line)
        if m:
            cur = sections.setdefault(m.group(1), {"what": m.group(2), "text": "", "checks": []})
            continue
        if re.match(r"^\d+ scenarios?, \d+ with a failed check\.$", line):
            cur = None
        if cur is None:
            continue
        cur["text"] += line
        m = re.match(r"^  \[(ok|FAILED)\] (.*)$", line.rstrip("\n"))
        if m:
            cur["checks"].append((m.group(2), m.group(1) == "ok"))
    return sections


# ---- the pages ------------------------------------------------------------
class Page(html.parser.HTMLParser):
    """What a report page shows: links, images, figures, checks, index rows."""

    def __init__(self):
        super().__init__()
        self.links, self.images, self.figures, self.checks, self.rows = [], [], [], [], []
        self.h1 = ""
        self.stack = []   # (tag, classes) of the open elements
        self.cell = None  # the text being collected and where it goes

    def classes(self):
        return [c for _, cl in self.stack for c in cl]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cl = (a.get("class") or "").split()
        if tag in ("img", "br", "meta", "link"):
            if tag == "img":
                self.images.append(a.get("src", ""))
            return
        self.stack.append((tag, cl))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "tr" and "figure" in cl:
            self.figures.append({})
        if tag == "li" and "check" in cl:
            self.checks.append({"what": "", "pass": None})
        if tag == "tr" and "scenario" in cl:
            self.rows.append({"name": "", "measured": [], "cells": []})
        if tag == "td" and self.rows and "scenario" in self.classes() and "figure" not in self.classes():
            self.rows[-1]["cells"].append("")
        if tag == "span" and "check" in self.classes() and self.checks:
            if "pass" in cl or "fail" in cl:
                self.checks[-1]["pass"] = "pass" in cl

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        cl = self.classes()
        tags = [t for t, _ in self.stack]
        if tags and tags[-1] == "h1":
            self.h1 += data
        if "figure" in cl and self.figures and tags and tags[-1] == "td":
            _, own = self.stack[-1]
            for k in ("name", "expected", "measured", "unit", "verdict"):
                if k in own:
                    self.figures[-1][k] = self.figures[-1].get(k, "") + data
        if "check" in cl and "what" in cl and self.checks:
            self.checks[-1]["what"] += data
        if "scenario" in cl and self.rows:
            row = self.rows[-1]
            if "a" in tags and not row["cells"][1:]:
                row["name"] += data
            if "measured" in cl:
                row["measured"].append(data)
            if row["cells"] and "li" not in tags:
                row["cells"][-1] += data


def parse_page(text):
    p = Page()
    p.feed(text)
    return p


def resolve(base_dir, ref):
    """The file a relative or file:// reference names, or None if external."""
    u = urllib.parse.urlparse(ref)
    if u.scheme == "file":
        return urllib.parse.unquote(u.path)
    if u.scheme or ref.startswith("//"):
        return None
    return os.path.normpath(os.path.join(base_dir, urllib.parse.unquote(u.path)))


def check_refs(name, page, base_dir):
    for ref in page.links + page.images:
        path = resolve(base_dir, ref)
        if path is None:
            fail(f"{name}: reference outside the disk: {ref}")
        elif not os.path.isfile(path):
            fail(f"{name}: {ref} does not resolve to a file")


def token_in(value, text):
    return re.search(r"(?<![\d.])" + re.escape(value) + r"(?![\d])", text) is not None


def check_scenario(name, page, sec):
    got = [(c["what"], c["pass"]) for c in page.checks]
    if got != sec["checks"]:
        fail(f"{name}: the page's checks {got} are not the text's {sec['checks']}")
    for f in page.figures:
        m = f.get("measured", "")
        if not m or not token_in(m, sec["text"]):
            fail(f"{name}: figure '{f.get('name')}' = '{m}' is not in the text output")
    if page.h1 != name:
        fail(f"{name}: heading '{page.h1}'")
    return len(page.figures)


def check_index(page, sections, figures_by_name):
    names = [r["name"] for r in page.rows]
    if names != list(sections):
        fail(f"index: scenarios {names}, the text has {list(sections)}")
    for r in page.rows:
        sec = sections.get(r["name"])
        if not sec:
            continue
        ok = sum(1 for _, p in sec["checks"] if p)
        cells = [c.strip() for c in r["cells"]]
        want = f"{ok} of {len(sec['checks'])}"
        if want not in cells:
            fail(f"index: {r['name']} shows {cells}, not '{want}' checks")
        verdict = "pass" if ok == len(sec["checks"]) else "fail"
        if not cells or cells[-1] != verdict:
            fail(f"index: {r['name']} verdict {cells[-1:]} not {verdict}")
        for m in r["measured"]:
            if m not in figures_by_name.get(r["name"], []) or not token_in(m, sec["text"]):
                fail(f"index: {r['name']} measured '{m}' is not the scenario's figure in the text")


def static(text_path, d):
    sections = parse_text(text_path)
    figures_by_name, nfig = {}, 0
    for name, sec in sections.items():
        path = os.path.join(d, name + ".html")
        if not os.path.isfile(path):
            fail(f"no page for scenario {name}")
            continue
        page = parse_page(open(path, encoding="utf-8").read())
        check_refs(name, page, d)
        nfig += check_scenario(name, page, sec)
        figures_by_name[name] = [f.get("measured", "") for f in page.figures]
    index = parse_page(open(os.path.join(d, "index.html"), encoding="utf-8").read())
    check_refs("index", index, d)
    check_index(index, sections, figures_by_name)
    print(f"static: {len(sections)} scenarios, {nfig} figures, "
          f"{sum(len(s['checks']) for s in sections.values())} checks compared")


# ---- the browser ------------------------------------------------------------
class DevTools:
    """A DevTools protocol session over a minimal WebSocket client."""

    def __init__(self, ws_url, deadline):
        u = urllib.parse.urlparse(ws_url)
        self.deadline = deadline
        self.sock = socket.create_connection((u.hostname, u.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("DevTools refused the WebSocket: " + head.decode(errors="replace"))
        self.next_id, self.events = 0, []

    def recv_exact(self, n):
        b = b""
        while len(b) < n:
            self.sock.settimeout(max(0.1, self.deadline - time.time()))
            chunk = self.sock.recv(n - len(b))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            b += chunk
        return b

    def recv_msg(self):
        data = b""
        while True:
            h = self.recv_exact(2)
            fin, op, n = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.recv_exact(8))[0]
            payload = self.recv_exact(n)
            if op in (0x1, 0x0):
                data += payload
                if fin:
                    return json.loads(data)

    def send(self, method, **params):
        self.next_id += 1
        body = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        n = len(body)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                                if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(body)))
        return self.next_id

    def call(self, method, **params):
        want = self.send(method, **params)
        while time.time() < self.deadline:
            m = self.recv_msg()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)
        raise RuntimeError(f"{method}: no answer in time")

    def wait_event(self, method):
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                return self.events.pop(i)
        while time.time() < self.deadline:
            m = self.recv_msg()
            if m.get("method") == method:
                return m
            self.events.append(m)
        raise RuntimeError(f"no {method} in time")


def console_errors(events):
    errs = []
    for m in events:
        p = m.get("params", {})
        if m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errs.append("console." + p["type"] + ": " + json.dumps(p.get("args")))
        elif m.get("method") == "Runtime.exceptionThrown":
            errs.append("exception: " + json.dumps(p.get("exceptionDetails", {}).get("text")))
        elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errs.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
    return errs


IMAGES_JS = ("JSON.stringify(Array.from(document.images).map(i => "
             "({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})))")


def browser(text_path, d, shots, pages):
    sections = parse_text(text_path)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP chromium is not installed (scripts/deps.sh test)")
        sys.exit(77)
    profile = tempfile.mkdtemp(prefix="nst-chromium-")
    proc = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--disable-background-networking", "--mute-audio",
                             f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--window-size=1280,1000", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page_t = next(t for t in targets if t.get("type") == "page")
        dt = DevTools(page_t["webSocketDebuggerUrl"], deadline)
        for domain in ("Page", "Runtime", "Log"):
            dt.call(domain + ".enable")
        figures_by_name = {}
        for name in pages:
            path = os.path.abspath(os.path.join(d, name))
            dt.events = []
            dt.call("Page.navigate", url="file://" + path)
            dt.wait_event("Page.loadEventFired")
            images = json.loads(dt.call("Runtime.evaluate", expression=IMAGES_JS)["result"]["value"])
            dom = dt.call("Runtime.evaluate", expression="document.documentElement.outerHTML")["result"]["value"]
            # The whole page, however long, in the screenshot.
            height = dt.call("Runtime.evaluate", expression="document.documentElement.scrollHeight")
            h = min(int(height["result"]["value"]), 12000)
            dt.call("Emulation.setDeviceMetricsOverride", width=1280, height=h, deviceScaleFactor=1, mobile=False)
            shot = dt.call("Page.captureScreenshot", format="png")
            dt.call("Emulation.clearDeviceMetricsOverride")
            png = base64.b64decode(shot["data"])
            out = os.path.join(shots, name.replace(".html", ".png"))
            open(out, "wb").write(png)
            if len(png) < 10000:
                fail(f"{name}: the screenshot is {len(png)} bytes: a blank page?")
            for e in console_errors(dt.events):
                fail(f"{name}: {e}")
            for i in images:
                if not i["ok"]:
                    fail(f"{name}: image {i['src']} did not load")
            page = parse_page(dom)
            check_refs(name, page, d)
            scen = name[:-len(".html")]
            if scen in sections:
                check_scenario(scen, page, sections[scen])
                figures_by_name[scen] = [f.get("measured", "") for f in page.figures]
                if not page.checks:
                    fail(f"{name}: no check shown")
            elif name == "index.html":
                index = page
            print(f"browser: {name}: {len(images)} images, {len(page.links)} links, {len(page.figures)} figures, "
                  f"{len(page.checks)} checks; screenshot {out}")
        if "index.html" in pages:
            check_index(index, sections, figures_by_name)
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    mode = sys.argv[1]
    try:
        if mode == "static":
            static(sys.argv[2], sys.argv[3])
        else:
            browser(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    except Exception as e:  # a broken page or browser is a failure, said plainly
        fail(f"{type(e).__name__}: {e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
