from __future__ import annotations

import socket

import pytest

from webhooks.sending import webhook_post


def test_it_posts_the_body_with_the_headers_and_the_host(receiver):
    attempt = webhook_post(receiver.url + "?source=test", b'{"a":1}', {"X-Selective-Speaker-Event": "webhook.test"})
    assert attempt.ok and attempt.status == 200 and attempt.error == ""
    assert attempt.duration_ms >= 0
    [request] = receiver.requests
    assert request.path == "/hooks/selective-speaker?source=test"
    assert request.body == b'{"a":1}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Selective-Speaker-Event"] == "webhook.test"
    assert request.headers["Host"] == receiver.url.split("/")[2]


def test_it_does_not_follow_a_redirect(receiver):
    receiver.statuses = [302]
    attempt = webhook_post(receiver.url, b"{}", {})
    assert not attempt.ok and attempt.status == 302
    assert "redirects are not followed" in attempt.error
    assert len(receiver.requests) == 1  # the Location was never asked


def test_it_keeps_the_start_of_a_failed_answer(receiver):
    receiver.statuses = [503]
    attempt = webhook_post(receiver.url, b"{}", {})
    assert attempt.status == 503 and attempt.error == "HTTP 503: receiver says no" and not attempt.refused


def test_it_reports_no_answer_when_nothing_listens(local_webhooks):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    attempt = webhook_post(f"http://127.0.0.1:{port}/", b"{}", {})
    assert attempt.status is None and attempt.error.startswith("no answer") and not attempt.refused


def test_it_refuses_a_private_address_without_connecting(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    attempt = webhook_post(receiver.url, b"{}", {})
    assert attempt.refused and attempt.status is None and "WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in attempt.error
    assert receiver.requests == []


# --- https: the connection goes to the vetted address, TLS checks the URL's host name ----------


def _certificates(tmp_path, host: str):
    """A test CA (its PEM file) and a server certificate for `host` signed by it (cert, key files)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def builder(subject, issuer, public_key, serial):
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(serial).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        )  # fmt: skip

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = builder(name("test CA"), name("test CA"), ca_key.public_key(), 1)
    ca = ca.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256())
    cert = builder(name(host), ca.subject, key.public_key(), 2)
    cert = cert.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    cert = cert.sign(ca_key, hashes.SHA256())
    paths = {n: tmp_path / f"{n}.pem" for n in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def tls_receiver(receiver, tmp_path, monkeypatch):
    """The receiver behind TLS with a certificate for hooks.test, which resolves to 127.0.0.1; the
    test CA is trusted for these requests only."""
    import functools
    import ssl
    import threading
    from http.server import ThreadingHTTPServer

    import urllib3

    from tests.webhooks.conftest import _Handler

    paths = _certificates(tmp_path, "hooks.test")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths["cert"], paths["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.receiver = receiver
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        "webhooks.addresses.socket.getaddrinfo",
        lambda host, *args, **kw: real_getaddrinfo("127.0.0.1" if host.endswith(".test") else host, *args, **kw),
    )
    pool = functools.partial(urllib3.HTTPSConnectionPool, ca_certs=str(paths["ca"]))
    monkeypatch.setattr("webhooks.sending.urllib3.HTTPSConnectionPool", pool)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_it_posts_over_https_to_the_vetted_address_with_the_hosts_name(tls_receiver, receiver):
    attempt = webhook_post(f"https://hooks.test:{tls_receiver}/in", b"{}", {})
    assert attempt.ok, attempt.error
    assert receiver.requests[0].headers["Host"] == f"hooks.test:{tls_receiver}"


def test_it_refuses_a_certificate_for_another_name(tls_receiver, receiver):
    attempt = webhook_post(f"https://other.test:{tls_receiver}/in", b"{}", {})
    assert attempt.status is None and "SSL" in attempt.error and receiver.requests == []
