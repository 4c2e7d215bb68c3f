"""fleet_query over values as Ansible templating hands them over: on ansible-core 2.17 and 2.18
strings arrive as AnsibleUnsafeText, a str subclass that JMESPath's type checks call "unknown"."""

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.netfleet.tcp.plugins.filter.fleet_query import fleet_query
from ansible_collections.netfleet.tcp.plugins.plugin_utils._audit_report import plain


def test_plain_turns_wrapped_strings_into_exact_str():
    value = plain(wrap_var({"kernel": "6.1.0-18-amd64", "names": ["web1"]}))
    assert value["kernel"].__class__ is str and value["names"][0].__class__ is str


def test_string_functions_work_on_wrapped_values():
    records = wrap_var([{"host": "web1", "kernel": "6.1.0-18-amd64"}, {"host": "db1", "kernel": "5.10.0"}])
    assert fleet_query(records, "[?length(kernel) > `10`].host") == ["web1"]
    assert fleet_query(records, "[?starts_with(kernel, '5.')].host") == ["db1"]
