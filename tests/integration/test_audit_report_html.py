"""audit.html in a real browser, and two audits in a row whose second report names the change in every format.

Scenario (module scope, on a reset fleet):

- the inventory is the fleet's plus one more name for web1's address that carries HTML and
  path separators (HOSTILE), so the report holds a host name no renderer may trust;
- web2 gets /etc/sysctl.d/50-history-test.conf holding its live tcp_fin_timeout (no drift yet);
- audit one runs into a fixed report folder, with the Prometheus export on the controller;
- then web2 drifts (tcp_fin_timeout set live by hand) and natgw gets a TIME_WAIT burst (a bounded
  loop of loopback connections inside natgw that closes each one first);
- audit two runs into the same folder: every format must name the drifted key and the burst, and
  history/ keeps both runs' summaries.

The browser tests open the second audit.html in headless Chromium (Debian's chromium and
chromium-driver, through tests/integration/harness/browser.py) and check the charts, a
screenshot, sorting, filtering, the hostile name shown as text, and that the page asks for nothing.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from harness.browser import Browser, find_tools, png_colours

PLAYBOOK = "playbooks/audit.yml"
HOSTILE = "<b>web1</b>/../evil"
DRIFT_HOST, BURST_HOST = "web2", "natgw"
FIN_TIMEOUT = "net.ipv4.tcp_fin_timeout"
PERSISTED = "/etc/sysctl.d/50-history-test.conf"
BURST = r"""
import socket, threading, time
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(512)
address = server.getsockname()
def serve():
    while True:
        peer, _ = server.accept()
        peer.recv(1); peer.close()
threading.Thread(target=serve, daemon=True).start()
deadline = time.monotonic() + 240
for _ in range(12000):
    if time.monotonic() > deadline:
        break
    client = socket.create_connection(address)
    client.close()          # the client closes first, so its side lands in TIME_WAIT
    time.sleep(0.01)
"""


def time_wait(fleet, host):
    out = fleet.sh(host, "ss -H -tan state time-wait | wc -l").stdout
    return int(out.strip() or 0)


def inventory_with_hostile_name(fleet, folder):
    with open(fleet.inventory) as handle:
        lines = handle.read().splitlines()
    web1 = [line for line in lines if line.split(" ", 1)[0] == "web1"][0]
    out = []
    for line in lines:
        out.append(line)
        if line == web1:
            out.append(HOSTILE + " " + web1.split(" ", 1)[1])
    path = os.path.join(str(folder), "inventory.ini")
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")
    return path


def audit(fleet, inventory, report_dir, prom_dir):
    run = fleet.playbook(PLAYBOOK, inventory=inventory, extra_vars={
        "tcp_audit_report_dir": str(report_dir), "tcp_audit_fail_on": "never", "tcp_audit_prometheus_dir": str(prom_dir)})
    assert run.rc == 0, run
    with open(os.path.join(str(report_dir), "audit.json")) as handle:
        return run, json.load(handle)


@pytest.fixture(scope="module")
def two_audits(fleet, tmp_path_factory):
    fleet.reset()
    root = tmp_path_factory.mktemp("history")
    inventory = inventory_with_hostile_name(fleet, root)
    report_dir, prom_dir = root / "report", root / "prom"
    live = fleet.sysctl(DRIFT_HOST, FIN_TIMEOUT)
    fleet.sh(DRIFT_HOST, "printf '%s = %s\\n' > %s" % (FIN_TIMEOUT, live, PERSISTED))
    first_run, first = audit(fleet, inventory, report_dir, prom_dir)
    first_files = dict((name, (report_dir / name).read_text()) for name in ("audit.md", "audit.html"))

    drifted = "33" if live != "33" else "34"
    fleet.set_sysctl(DRIFT_HOST, FIN_TIMEOUT, drifted)
    fleet.sh(BURST_HOST, "setsid python3 -c '%s' >/dev/null 2>&1 </dev/null &" % BURST.replace("'", "'\"'\"'"))
    deadline = time.monotonic() + 60
    while time_wait(fleet, BURST_HOST) < 1000:
        assert time.monotonic() < deadline, "no TIME_WAIT burst on %s" % BURST_HOST
        time.sleep(1)
    second_run, second = audit(fleet, inventory, report_dir, prom_dir)
    yield {"root": root, "report_dir": report_dir, "prom_dir": prom_dir, "first": first, "second": second,
           "first_run": first_run, "second_run": second_run, "first_files": first_files, "drifted": drifted,
           "live": live}
    fleet.reset()


def test_both_audits_saw_every_host_and_the_hostile_name(fleet, two_audits):
    for report in (two_audits["first"], two_audits["second"]):
        hosts = [entry["host"] for entry in report["hosts"]]
        assert sorted(hosts) == sorted(fleet.hosts + [HOSTILE])
        assert all(entry["status"] == "ok" for entry in report["hosts"]), hosts
    assert two_audits["first"]["changes"]["previous"] is None
    assert "Changes since the previous audit" in two_audits["first_files"]["audit.md"]


def test_second_report_names_the_drift_and_the_burst(two_audits):
    changes = two_audits["second"]["changes"]
    assert changes["previous"]["run_id"] == two_audits["first"]["run_id"]
    assert {"host": DRIFT_HOST, "key": FIN_TIMEOUT, "live": two_audits["drifted"], "before": None} \
        in changes["keys_drifted"]
    burst = [item for item in changes["pressure"] if item["host"] == BURST_HOST and item["figure"] == "time_wait"]
    assert burst and burst[0]["after"] >= 1000 > burst[0]["before"], changes["pressure"]
    assert not changes["hosts_added"] and not changes["hosts_gone"]
    moved = set(item["host"] for item in changes["pressure"] + changes["keys_drifted"])
    assert moved <= {DRIFT_HOST, BURST_HOST}, changes


def test_every_format_names_the_change(two_audits):
    folder, burst = two_audits["report_dir"], "TIME_WAIT sockets on %s" % BURST_HOST
    drift = "key drifted on %s: %s (live %s)" % (DRIFT_HOST, FIN_TIMEOUT, two_audits["drifted"])
    markdown = (folder / "audit.md").read_text()
    assert drift in markdown and burst in markdown
    page = (folder / "audit.html").read_text()
    assert drift in page and burst in page
    suites = ET.parse(str(folder / "audit.junit.xml")).getroot().findall("testsuite")
    names = [case.get("name") for case in suites[-1].findall("testcase")]
    assert suites[-1].get("name") == "changes since the previous audit"
    assert drift in names and [name for name in names if name.startswith(burst)]
    stdout = two_audits["second_run"].stdout
    assert "changes: since %s" % two_audits["first"]["generated_at"] in stdout
    assert drift in stdout and burst in stdout
    prom = (two_audits["prom_dir"] / ("%s.prom" % DRIFT_HOST)).read_text()
    assert 'netfleet_tcp_audit_changes{host="%s",change="keys_drifted"} 1' % DRIFT_HOST in prom
    prom = (two_audits["prom_dir"] / ("%s.prom" % BURST_HOST)).read_text()
    assert re.search(r'netfleet_tcp_audit_changes\{host="%s",change="pressure"\} [1-9]' % BURST_HOST, prom)
    history = sorted(os.listdir(str(folder / "history")))
    assert history == ["audit-%s.json" % two_audits["first"]["run_id"], "audit-%s.json" % two_audits["second"]["run_id"]]


def test_hostile_host_name_gets_a_safe_prometheus_file(fleet, two_audits):
    names = sorted(os.listdir(str(two_audits["prom_dir"])))
    assert len(names) == len(fleet.hosts) + 1
    odd = [name for name in names if name not in ["%s.prom" % host for host in fleet.hosts]]
    assert len(odd) == 1 and re.match(r"^_b_web1__b__\.\._evil-[0-9a-f]{8}\.prom$", odd[0]), odd
    text = (two_audits["prom_dir"] / odd[0]).read_text()
    assert 'netfleet_tcp_audit_up{host="<b>web1</b>/../evil"} 1' in text
    assert not os.path.exists(os.path.join(str(two_audits["root"]), "evil"))
    markdown = (two_audits["report_dir"] / "audit.md").read_text()
    assert "<b>" not in markdown and "&lt;b&gt;web1&lt;/b&gt;/../evil" in markdown


def test_promtool_accepts_the_exported_files(two_audits):
    tool = shutil.which("promtool")
    if not tool:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: make deps installs Debian's prometheus package")
        pytest.skip("promtool is not installed (make deps installs Debian's prometheus package)")
    for name in sorted(os.listdir(str(two_audits["prom_dir"]))):
        with open(str(two_audits["prom_dir"] / name)) as handle:
            run = subprocess.run([tool, "check", "metrics"], stdin=handle, capture_output=True, text=True,
                                 timeout=60, check=False)
        print("promtool check metrics < %s: rc=%d %s" % (name, run.returncode, (run.stdout + run.stderr).strip()))
        assert run.returncode == 0 and not (run.stdout + run.stderr).strip(), (name, run.stdout, run.stderr)


# ------------------------------------------------------------------ in the browser

@pytest.fixture(scope="module")
def page(two_audits, tmp_path_factory):
    tools, reason = find_tools()
    if tools is None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    url = "file://" + str(two_audits["report_dir"] / "audit.html")
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        browser.open("about:blank")  # leave the start page Chromium opens by itself
        browser.requests()  # and drop what it asked for
        browser.open(url)
        loaded = browser.requests()
        yield {"browser": browser, "url": url, "loaded": loaded, "report": two_audits["second"]}


def test_one_bar_group_per_host(page):
    count = page["browser"].script("return document.querySelectorAll('#chart-states g.bar').length")
    assert count == len(page["report"]["hosts"])
    hosts = page["browser"].script(
        "return Array.from(document.querySelectorAll('#chart-states g.bar')).map(g => g.getAttribute('data-host'))")
    assert sorted(hosts) == sorted(entry["host"] for entry in page["report"]["hosts"])
    segments = page["browser"].script("return document.querySelectorAll('#chart-states rect.seg').length")
    assert segments >= len(page["report"]["hosts"])


def test_screenshot_is_not_blank(page, tmp_path_factory):
    browser = page["browser"]
    png = browser.screenshot_png()
    path = os.path.join(str(tmp_path_factory.getbasetemp()), "audit-html-screenshot.png")
    with open(path, "wb") as handle:
        handle.write(png)
    print("screenshot of audit.html: %s (%d bytes)" % (path, len(png)))
    box = browser.script("var r = document.getElementById('chart-states').getBoundingClientRect();"
                         "return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];")
    shot = browser.cdp("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": box[0], "y": box[1], "width": box[2], "height": box[3], "scale": 1}})
    colours = png_colours(base64.b64decode(shot["data"]))
    print("states chart: %d distinct colours" % len(colours))
    assert len(colours) >= 5  # background, text, axis and at least two state colours


def visible_rows(browser):
    return browser.script(
        "return Array.from(document.querySelectorAll('#findings-table tbody tr')).filter(r => !r.hidden)"
        ".map(r => [r.getAttribute('data-host'), r.getAttribute('data-severity'), r.getAttribute('data-rule')])")


def test_sorting_the_findings(page):
    browser = page["browser"]
    rows = visible_rows(browser)
    assert len(rows) >= 2, "the fleet audit should have findings to sort"
    rank = {"info": 0, "warning": 1, "error": 2}
    browser.click("#findings-table thead th:nth-child(2) button")
    ascending = [rank[row[1]] for row in visible_rows(browser)]
    assert ascending == sorted(ascending)
    browser.click("#findings-table thead th:nth-child(2) button")
    descending = [rank[row[1]] for row in visible_rows(browser)]
    assert descending == sorted(descending, reverse=True)
    browser.click("#findings-table thead th:nth-child(1) button")
    hosts = [row[0].lower() for row in visible_rows(browser)]
    assert hosts == sorted(hosts)


def test_filtering_the_findings(page):
    browser = page["browser"]
    every = visible_rows(browser)
    browser.type("#filter-host", DRIFT_HOST)
    rows = visible_rows(browser)
    assert rows and all(DRIFT_HOST in row[0] for row in rows)
    assert browser.script("return document.getElementById('findings-shown').textContent") == str(len(rows))
    browser.type("#filter-host", "")
    rule = every[0][2]
    browser.script("var s = document.getElementById('filter-rule'); s.value = arguments[0];"
                   "s.dispatchEvent(new Event('change'));", rule)
    assert sorted(visible_rows(browser)) == sorted(row for row in every if row[2] == rule)
    browser.script("var s = document.getElementById('filter-rule'); s.value = '';"
                   "s.dispatchEvent(new Event('change'));")
    severity = every[0][1]
    browser.script("var s = document.getElementById('filter-severity'); s.value = arguments[0];"
                   "s.dispatchEvent(new Event('change'));", severity)
    assert sorted(visible_rows(browser)) == sorted(row for row in every if row[1] == severity)
    browser.script("var s = document.getElementById('filter-severity'); s.value = '';"
                   "s.dispatchEvent(new Event('change'));")
    assert sorted(visible_rows(browser)) == sorted(every)


def test_hostile_host_name_is_shown_as_text(page):
    browser = page["browser"]
    assert browser.script("return document.querySelectorAll('body b, body img, body iframe').length") == 0
    shown = browser.script(
        "return Array.from(document.querySelectorAll('#trend tbody tr td:first-child')).map(td => td.textContent)")
    assert HOSTILE in shown
    label = browser.script("return document.querySelector('#chart-states g.bar[data-host=\"' + "
                           "CSS.escape(arguments[0]) + '\"] title').textContent", HOSTILE)
    assert label == HOSTILE


def test_the_page_makes_no_network_request(page):
    browser = page["browser"]
    assert page["loaded"] == [page["url"]], page["loaded"]
    browser.click("#findings-table thead th:nth-child(3) button")
    browser.script("document.querySelectorAll('details').forEach(d => d.open = true); window.dispatchEvent("
                   "new Event('beforeprint'));")
    assert browser.requests() == []
    assert browser.script("return performance.getEntriesByType('resource').length") == 0
    errors = [item for item in browser.log("browser") if item.get("level") == "SEVERE"]
    assert errors == [], errors


def test_print_layout(page, tmp_path_factory):
    browser = page["browser"]
    browser.cdp("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.script("return [getComputedStyle(document.querySelector('.filters')).display,"
                                " getComputedStyle(document.querySelector('nav')).display]")
        assert hidden == ["none", "none"]
    finally:
        browser.cdp("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(browser.cdp("Page.printToPDF", {"printBackground": True})["data"])
    path = os.path.join(str(tmp_path_factory.getbasetemp()), "audit-html-print.pdf")
    with open(path, "wb") as handle:
        handle.write(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print("printed audit.html: %s (%d pages)" % (path, pages))
    assert pdf.startswith(b"%PDF") and pages >= 1
