"""The SSRF guard is an explicit deny-list (webhooks.addresses), with embedded IPv4 decoded (issue 10).

Nothing here opens a connection: the decision function is asked directly, and the connect-time
check runs against a patched resolver with the real connect replaced by a failure.
"""

from __future__ import annotations

import ipaddress
import socket

import httpcore
import pytest
from django.core.exceptions import ValidationError

from webhooks import addresses, sender
from webhooks.services.endpoints import clean_url

# The addresses the attack pass got through, under both the registration and the connect-time check.
ATTACK_PASS = ["192.0.0.192", "::127.0.0.1", "::a9fe:a9fe", "::ffff:0:7f00:1", "fec0::1"]

EMBEDDED = [
    ("::ffff:169.254.169.254", "IPv4-mapped", "169.254.169.254"),
    ("::10.0.0.1", "IPv4-compatible", "10.0.0.1"),
    ("::ffff:0:a00:1", "IPv4-translated", "10.0.0.1"),
    ("2002:a9fe:a9fe::1", "6to4", "169.254.169.254"),
    ("64:ff9b::7f00:1", "NAT64", "127.0.0.1"),
    ("64:ff9b:1:a9fe:a9:fe00::", "NAT64", "169.254.169.254"),
    # Teredo: server 65.54.227.120, client 192.168.0.1 stored inverted in the last 32 bits.
    ("2001:0:4136:e378:8000:63bf:3f57:fffe", "Teredo", "192.168.0.1"),
]


@pytest.fixture(autouse=True)
def _strict(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = []


@pytest.mark.parametrize("ip", ATTACK_PASS)
def test_the_addresses_the_attack_pass_used_are_refused(ip) -> None:  # type: ignore[no-untyped-def]
    assert not addresses.address_allowed(ipaddress.ip_address(ip))
    with pytest.raises(ValidationError, match="internal addresses are not allowed"):
        clean_url(f"https://[{ip}]/hook" if ":" in ip else f"https://{ip}/hook")


@pytest.mark.parametrize("block", addresses.DENIED_V4 + addresses.DENIED_V6, ids=str)
def test_every_block_of_the_deny_list_is_refused_at_both_ends(block) -> None:  # type: ignore[no-untyped-def]
    samples = [block.network_address, block.broadcast_address]
    if block not in addresses._TRANSPORTS:  # those carry any IPv4 address and are judged by it (below)
        samples.append(block.network_address + (block.num_addresses // 2))
    for ip in samples:
        assert not addresses.address_allowed(ip), ip


@pytest.mark.parametrize(("ip", "form", "v4"), EMBEDDED)
def test_an_embedded_internal_ipv4_is_decoded_and_refused(ip, form, v4) -> None:  # type: ignore[no-untyped-def]
    parsed = ipaddress.ip_address(ip)
    assert addresses.embedded_ipv4(parsed) == (form, ipaddress.IPv4Address(v4))
    decision = addresses.address_decision(parsed)
    assert not decision.allowed and v4 in decision.reason


def test_mapped_and_nat64_forms_of_a_public_address_reach_it_and_are_allowed() -> None:
    for ip in ("::ffff:8.8.8.8", "64:ff9b::808:808", "8.8.8.8", "2606:4700:4700::1111"):
        assert addresses.address_allowed(ipaddress.ip_address(ip)), ip


def test_deprecated_embedding_forms_stay_refused_even_for_a_public_address() -> None:
    for ip in ("::8.8.8.8", "::ffff:0:808:808", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"):
        assert not addresses.address_allowed(ipaddress.ip_address(ip)), ip


def test_listed_networks_open_exactly_themselves(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd00:1::/64"]
    assert addresses.address_allowed(ipaddress.ip_address("10.20.3.4"))
    assert addresses.address_allowed(ipaddress.ip_address("::ffff:10.20.3.4"))
    assert addresses.address_allowed(ipaddress.ip_address("fd00:1::5"))
    assert not addresses.address_allowed(ipaddress.ip_address("10.21.0.1"))
    assert not addresses.address_allowed(ipaddress.ip_address("fd00:2::5"))
    # Opening a network never opens what an address inside an embedding form carries.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["2002::/16"]
    assert not addresses.address_allowed(ipaddress.ip_address("2002:a9fe:a9fe::1"))


def test_port_zero_is_refused_at_registration() -> None:
    with pytest.raises(ValidationError, match="Port 0"):
        clean_url("https://example.com:0/hook")


def _resolving_to(monkeypatch, *ips: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    asked: list[tuple[str, int]] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append((host, port))
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ips]

    def no_connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the guard let a connection through")

    monkeypatch.setattr(sender.socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_connect)
    return asked


@pytest.mark.parametrize("ip", [*ATTACK_PASS, "64:ff9b::a9fe:a9fe"])
def test_a_host_resolving_to_a_denied_address_is_refused_at_connect_time(monkeypatch, ip) -> None:  # type: ignore[no-untyped-def]
    asked = _resolving_to(monkeypatch, ip)
    with pytest.raises(sender.AddressRefused, match="private or internal address"):
        sender.GuardedBackend(sender._Deadline(5)).connect_tcp("hooks.example.com", 443)
    assert asked == [("hooks.example.com", 443)]


def test_port_zero_is_refused_at_connect_time_before_resolving(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked = _resolving_to(monkeypatch, "8.8.8.8")
    with pytest.raises(sender.AddressRefused, match="port 0"):
        sender.GuardedBackend(sender._Deadline(5)).connect_tcp("hooks.example.com", 0)
    assert asked == []
