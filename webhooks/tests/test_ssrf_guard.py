"""The sender refuses internal addresses at connect time, after DNS resolution, unless settings allow them."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from webhooks import sender
from webhooks.services.endpoints import clean_url

BLOCKED = [
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata (AWS, GCP, Azure)
    "100.64.0.1",  # CGNAT, also Alibaba's metadata range
    "100.100.100.200",
    "127.0.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fd00::1",  # unique local
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fe80::1",  # link-local
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:127.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
]


def _url(ip: str, port: int = 80) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{port}/hook"


@pytest.mark.parametrize("ip", BLOCKED)
def test_internal_addresses_are_refused(settings, ip) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert not sender.address_allowed(ipaddress.ip_address(ip))


def test_public_addresses_are_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for ip in ("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert sender.address_allowed(ipaddress.ip_address(ip)), ip


@pytest.mark.parametrize("ip", ["10.0.0.1", "169.254.169.254", "::1"])
def test_the_sender_refuses_before_any_connection(settings, ip) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    result = sender.send(url=_url(ip), headers={}, body=b"{}")
    assert result.status_code is None and not result.ok
    assert "refused to connect" in result.error and "private or internal address" in result.error


def test_a_host_name_that_resolves_to_loopback_is_refused_at_connect_time(settings, receiver) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    result = sender.send(url=f"http://localhost:{receiver.port}/hook", headers={}, body=b"{}")
    assert "refused to connect to localhost" in result.error
    assert receiver.requests == []  # nothing reached the listening server


def test_loopback_is_reachable_only_when_the_setting_allows_it(settings, receiver) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    ok = sender.send(url=f"http://localhost:{receiver.port}/hook", headers={"webhook-id": "msg_1"}, body=b"{}")
    assert ok.status_code == 200 and ok.body == "ok"
    assert receiver.requests[0].headers["webhook-id"] == "msg_1"
    assert receiver.requests[0].headers["content-type"] == "application/json"


def test_listed_networks_are_opened_for_on_premises_receivers(settings, receiver) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert sender.send(url=receiver.url(), headers={}, body=b"{}").status_code == 200
    assert not sender.address_allowed(ipaddress.ip_address("10.0.0.1"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/hook", "internal addresses are not allowed"),
        ("https://169.254.169.254/latest/meta-data", "internal addresses are not allowed"),
        ("http://[::1]:8000/", "internal addresses are not allowed"),
        ("http://localhost:8000/", "loopback addresses are not allowed"),
        ("https://user:pass@example.com/hook", "Leave credentials out of the URL"),
        ("ftp://example.com/hook", "valid http or https URL"),
        ("http://example.com:99999/", "valid http or https URL"),
        ("not a url", "valid http or https URL"),
        ("https://example.com/" + "a" * 2000, "at most 2000 characters"),
        ("", "Enter the URL"),
    ],
)
def test_endpoint_urls_that_cannot_work_are_refused_with_a_reason(settings, url, message) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as err:
        clean_url(url)
    assert message in " ".join(err.value.message_dict["url"])


def test_plain_http_is_refused_when_https_is_required(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(ValidationError, match="must use https"):
        clean_url("http://example.com/hook")
    assert clean_url(" https://example.com/hook?x=1 ") == "https://example.com/hook?x=1"


def test_every_delivery_shares_one_verifying_tls_context() -> None:
    """Loading the CA bundle per delivery capped a worker at about 12 deliveries a second."""
    import ssl

    from webhooks.sender import GuardedTransport, _Deadline

    first, second = GuardedTransport(deadline=_Deadline(5)), GuardedTransport(deadline=_Deadline(5))
    context = first._pool._ssl_context
    assert context is second._pool._ssl_context
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
