"""audit.html: one self-contained page; every value from hosts and inventory shown as text."""

import copy
import html.parser
import re

from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import build_report
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers import fmt_html as fmt
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report.renderers.fmt_html import render_html as render

STAMP = "2026-11-21T05:00:00Z"
HOSTILE = '<img src=x onerror="alert(1)">/../"\'&amp;</script>'


class Page(html.parser.HTMLParser):
    """Elements with their attributes, and the text, as a browser's parser would see them."""

    def __init__(self, text):
        html.parser.HTMLParser.__init__(self, convert_charrefs=True)
        self.elements, self.text, self.scripts = [], [], []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)

    def all(self, tag, **attrs):
        return [found for name, found in self.elements
                if name == tag and all(found.get(key.replace("_", "-")) == value for key, value in attrs.items())]


def fleet(records):
    hosts = dict((host, {"__audit_record": copy.deepcopy(record)}) for host, record in records.items())
    hosts[HOSTILE] = {"__audit_record": copy.deepcopy(records["web1"])}
    hosts[HOSTILE]["__audit_record"]["tcp_state"]["host"]["kernel"] = "<b>kernel</b>"
    hosts["gone"] = {}
    return build_report(hosts, generated_at=STAMP, fail_on="warning")


def test_one_bar_group_per_host_in_every_chart(records):
    report = fleet(records)
    page = Page(render(report))
    bars = [attrs for tag, attrs in page.elements if tag == "g" and attrs.get("class") == "bar"]
    assert len(bars) == 4 * len(report["hosts"])
    for chart in ("chart-states", "chart-ports", "chart-time-wait", "chart-orphans"):
        assert len(page.all("svg", id=chart)) == 1
    assert sorted(set(attrs["data-host"] for attrs in bars)) == sorted(entry["host"] for entry in report["hosts"])


def test_hosts_sorted_by_pressure(records):
    report = fleet(records)
    order = [entry["host"] for entry in fmt.by_pressure(report)]
    assert order[0] == "web1" or order[0] == HOSTILE  # web1's data, highest TIME_WAIT pressure
    assert order[-1] == "gone"
    pressures = [fmt.pressure_of(entry) for entry in fmt.by_pressure(report)]
    assert pressures == sorted(pressures, reverse=True)


def test_hostile_values_are_text_never_markup(records):
    text = render(fleet(records))
    assert "<img" not in text and "<b>kernel" not in text and 'onerror="' not in text
    page = Page(text)
    assert [tag for tag, _attrs in page.elements if tag in ("img", "b", "iframe", "object")] == []
    assert HOSTILE in "".join(page.text)
    assert "<b>kernel</b>" in "".join(page.text)
    assert len(page.all("tr", data_host=HOSTILE)) >= 3  # findings rows and the trend row keep the name intact
    assert len(page.all("script")) == 1


def test_self_contained(records):
    text = render(fleet(records))
    page = Page(text)
    assert page.all("script") == [{}]  # one inline script, no src
    assert not page.all("link") and not page.all("img") and not page.all("iframe")
    for _tag, attrs in page.elements:
        assert "src" not in attrs and not attrs.get("href", "#").startswith(("http", "//", "file", "data"))
        assert "style" not in attrs or "url(" not in attrs["style"]
    style = text[text.index("<style>"):text.index("</style>")]
    assert "@import" not in style and "url(" not in style
    urls = set(re.findall(r"https?://[^\"' )]+", text))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    csp = [attrs for tag, attrs in page.elements if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"].startswith("default-src 'none';")
    assert "@media print" in text


def test_findings_table_has_filters_and_sort_keys(records):
    report = fleet(records)
    page = Page(render(report))
    rows = page.all("tr")
    findings = [attrs for attrs in rows if "data-severity" in attrs]
    assert len(findings) == sum(len(entry["findings"]) for entry in report["hosts"])
    assert set(attrs["data-severity"] for attrs in findings) <= {"info", "warning", "error"}
    rules = [attrs["value"] for tag, attrs in page.elements if tag == "option" and attrs.get("value")]
    assert set(attrs["data-rule"] for attrs in findings) <= set(rules)
    for control in ("filter-host", "filter-severity", "filter-rule", "findings-table"):
        assert [tag for tag, attrs in page.elements if attrs.get("id") == control]


def test_host_detail_shows_live_wanted_boot_and_remediation(records):
    report = fleet(records)
    text = render(report)
    assert "/etc/sysctl.d/99-tuning.conf" in text
    assert "net.ipv4.tcp_fin_timeout" in text
    web1 = [entry for entry in report["hosts"] if entry["host"] == "web1"][0]
    for finding in web1["findings"]:
        assert finding["remediation"].replace("'", "&#x27;")[:40] in text


def test_empty_fleet_renders():
    text = render(build_report({}, generated_at=STAMP))
    assert "No findings." in text and text.endswith("</html>\n")
