from __future__ import annotations

import socket

import pytest

from webhooks.addresses import AddressRefused, AddressUnresolved, address_check, host_resolve, url_check


@pytest.fixture
def public_only(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr("webhooks.addresses.socket.getaddrinfo", getaddrinfo)


def test_it_splits_an_allowed_url(public_only):
    assert url_check("https://hooks.example.org/a/b?x=1") == ("https", "hooks.example.org", 443, "/a/b?x=1")
    assert url_check("https://hooks.example.org:8443") == ("https", "hooks.example.org", 8443, "/")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://hooks.example.org/", "https://"),
        ("ftp://hooks.example.org/", "https://"),
        ("https:///no-host", "no host"),
        ("https://user:pw@hooks.example.org/", "user name or password"),
        ("https://hooks.example.org/#top", "fragment"),
        ("https://hooks.example.org:99999/", "not a valid URL"),
        ("https://127.0.0.1/", "private, loopback"),
        ("https://[::1]/", "private, loopback"),
        ("https://localhost:8000/", "private, loopback"),
        ("https://api.localhost/", "private, loopback"),
        ("https://10.1.2.3/", "private, loopback"),
        ("https://192.168.0.10/", "private, loopback"),
        ("https://169.254.169.254/latest/meta-data/", "private, loopback"),  # cloud metadata
        ("https://100.64.0.1/", "private, loopback"),  # carrier-grade NAT
        ("https://0.0.0.0/", "private, loopback"),
        ("https://[::ffff:10.0.0.1]/", "private, loopback"),  # IPv4-mapped
        ("https://[fe80::1]/", "private, loopback"),
        ("https://224.0.0.1/", "private, loopback"),
    ],
)
def test_it_refuses_urls_that_are_not_allowed(public_only, url, reason):
    with pytest.raises(AddressRefused, match=reason):
        url_check(url)


def test_it_refuses_a_name_when_any_of_its_addresses_is_private(public_only, monkeypatch):
    """DNS rebinding's cousin: one public and one internal answer is refused as a whole."""
    fake_dns(monkeypatch, {"sneaky.example.org": ["93.184.216.34", "10.0.0.5"], "ok.example.org": ["93.184.216.34"]})
    with pytest.raises(AddressRefused, match="10.0.0.5"):
        host_resolve("sneaky.example.org", 443)
    assert host_resolve("ok.example.org", 443) == "93.184.216.34"


def test_it_says_when_a_name_does_not_resolve(public_only, monkeypatch):
    fake_dns(monkeypatch, {})
    with pytest.raises(AddressUnresolved, match="does not resolve"):
        host_resolve("nowhere.example.org", 443)


def test_it_allows_http_and_private_addresses_when_the_settings_say_so(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert url_check("http://127.0.0.1:8080/hook") == ("http", "127.0.0.1", 8080, "/hook")
    address_check("10.0.0.1")
    assert host_resolve("127.0.0.1", 80) == "127.0.0.1"


def test_it_allows_public_addresses(public_only):
    address_check("93.184.216.34")
    address_check("2606:2800:220:1:248:1893:25c8:1946")
