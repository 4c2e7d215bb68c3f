"""Headless Chromium driven through Debian's chromedriver, with the standard library only.

    with Browser(workdir) as browser:
        browser.open("file:///.../audit.html")
        browser.script("return document.title")        # run JavaScript, get its value
        browser.click("#findings-table th:nth-child(2) button")
        browser.screenshot_png()                        # the whole page, PNG bytes
        browser.requests()                              # every URL the page asked for (DevTools log)

Chromium runs headless, without sandbox (we are root) or GPU, with background networking,
component updates, sync and first-run tasks off, from a fresh profile in ``workdir``, so it
contacts nothing by itself. chromedriver listens on a free loopback port.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    "--window-size=1280,900", "--hide-scrollbars",
]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key


def find_tools():
    """(chromium, chromedriver) paths, or a reason why not."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return None, "chromium and chromium-driver are not installed (make deps installs them)"
    return (chromium, driver), None


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser(object):

    def __init__(self, workdir, chromium=None, driver=None):
        tools, reason = find_tools()
        if tools is None and not (chromium and driver):
            raise RuntimeError(reason)
        self.chromium, self.driver = (chromium, driver) if chromium and driver else tools
        self.workdir = str(workdir)
        self.port = None
        self.process = None
        self.session = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.port = _free_port()
        log = open(os.path.join(self.workdir, "chromedriver.log"), "w")
        self.process = subprocess.Popen([self.driver, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("chromedriver did not start (see %s/chromedriver.log)" % self.workdir)
                time.sleep(0.1)
        profile = os.path.join(self.workdir, "profile")
        shutil.rmtree(profile, ignore_errors=True)
        capabilities = {"browserName": "chrome", "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"},
                        "goog:chromeOptions": {"binary": self.chromium,
                                               "args": CHROMIUM_ARGS + ["--user-data-dir=%s" % profile],
                                               "perfLoggingPrefs": {"enableNetwork": True, "enablePage": False}}}
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = answer["sessionId"]
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.session:
            try:
                self._call("DELETE", "/session/%s" % self.session)
            except (OSError, urllib.error.URLError, RuntimeError):
                pass
            self.session = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # ------------------------------------------------------------------ WebDriver

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError("WebDriver %s %s: %s" % (method, path, error.read().decode()[:2000]))
        return answer.get("value", answer) if path != "/session" else answer["value"]

    def _session(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self._session("POST", "/url", {"url": url})

    def script(self, source, *args):
        return self._session("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css):
        return self._session("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self._session("POST", "/element/%s/click" % self.find(css), {})

    def type(self, css, text):
        element = self.find(css)
        self._session("POST", "/element/%s/clear" % element, {})
        self._session("POST", "/element/%s/value" % element, {"text": text})

    def cdp(self, command, params=None):
        """A Chrome DevTools Protocol command through chromedriver."""
        return self._session("POST", "/goog/cdp/execute", {"cmd": command, "params": params or {}})

    def screenshot_png(self):
        """The whole page (beyond the window) as PNG bytes."""
        size = self.script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        shot = self.cdp("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
        return base64.b64decode(shot["data"])

    def log(self, kind):
        return self._session("POST", "/se/log", {"type": kind})

    def requests(self):
        """Every URL the page requested since the last call (from the DevTools network events)."""
        urls = []
        for item in self.log("performance"):
            message = json.loads(item["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls


def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of a PNG of 8-bit RGB or RGBA, without any library."""
    import struct
    import zlib
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    offset, chunks = 8, {}
    idat = b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks.setdefault(kind, body)
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    if depth != 8 or colour not in (2, 6):
        raise ValueError("only 8-bit RGB or RGBA PNGs are read here")
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 255
            elif kind == 4:
                corner = previous[x - step] if x >= step else 0
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, step, rows


def png_colours(data):
    """The distinct RGB colours of a PNG."""
    _width, _height, step, rows = png_pixels(data)
    colours = set()
    for row in rows:
        for x in range(0, len(row), step):
            colours.add(row[x:x + 3])
    return colours
