"""Which addresses webhook deliveries may connect to: an explicit deny-list, then WEBHOOK_ALLOWED_NETWORKS.

`ipaddress.is_global` alone let 192.0.0.192 (a cloud metadata address), IPv4-compatible `::127.0.0.1`,
IPv4-translated `::ffff:0:7f00:1` and site-local `fec0::1` through (issue 10), so the rule is spelled out:

1. every block of the IANA IPv4 and IPv6 special-purpose address registries is denied, and so are
   multicast, the reserved 240/4 and the deprecated blocks (site-local, IPv4-compatible,
   IPv4-translated, 6bone, ORCHID);
2. every IPv6 form that carries an IPv4 address (mapped, compatible, translated, 6to4, NAT64 and
   Teredo) is decoded, and the IPv4 address it carries must pass too: that is what the packet reaches;
3. only IPv4-mapped and well-known-prefix NAT64 addresses are treated as a way to reach their IPv4
   address (judged by it alone); the other embedding forms stay denied whatever they carry;
4. WEBHOOK_ALLOWED_NETWORKS opens listed networks (an address, and the IPv4 it carries, must each be
   either listed or outside the deny-list); WEBHOOK_ALLOW_LOOPBACK opens loopback (tests, development);
5. as a last check, Python's own `is_global` must agree, so a block it learns of later is refused too.

`address_decision(ip)` is the one decision; registration and connect time both ask it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _nets(*blocks: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(block) for block in blocks)


# https://www.iana.org/assignments/iana-ipv4-special-registry (every entry), plus multicast and 240/4.
DENIED_V4 = _nets(
    "0.0.0.0/8",  # "this network" (RFC 791)
    "10.0.0.0/8",  # private (RFC 1918)
    "100.64.0.0/10",  # shared address space, CGNAT (RFC 6598); Alibaba's metadata is 100.100.100.200
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local; AWS, GCP and Azure metadata at 169.254.169.254
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments: DS-Lite, NAT64 discovery, 192.0.0.192 (Oracle metadata)
    "192.0.2.0/24",  # TEST-NET-1
    "192.31.196.0/24",  # AS112-v4
    "192.52.193.0/24",  # AMT
    "192.88.99.0/24",  # deprecated 6to4 relay anycast (RFC 7526)
    "192.168.0.0/16",  # private
    "192.175.48.0/24",  # AS112 direct delegation
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and 255.255.255.255 limited broadcast
)

# https://www.iana.org/assignments/iana-ipv6-special-registry (every entry), plus multicast and deprecated blocks.
DENIED_V6 = _nets(
    "::/128",  # unspecified
    "::1/128",  # loopback
    "::/96",  # IPv4-compatible (deprecated, RFC 4291)
    "::ffff:0:0/96",  # IPv4-mapped: judged by the IPv4 it carries (below), never on its own
    "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765, deprecated)
    "64:ff9b::/96",  # NAT64 well-known prefix: judged by the IPv4 it carries
    "64:ff9b:1::/48",  # NAT64 local-use prefix (RFC 8215): inside someone's network
    "100::/64",  # discard-only
    "100:0:0:1::/64",  # dummy prefix (RFC 9780)
    "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, AMT, AS112, ORCHID, drone DETs
    "2001:db8::/32",  # documentation
    "2002::/16",  # 6to4
    "2620:4f:8000::/48",  # AS112-v6
    "3ffe::/16",  # 6bone (returned, RFC 3701)
    "3fff::/20",  # documentation (RFC 9637)
    "5f00::/16",  # SRv6 SIDs
    "fc00::/7",  # unique local; AWS metadata at fd00:ec2::254
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated, RFC 3879)
    "ff00::/8",  # multicast
)

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# Forms through which the packet really reaches the IPv4 address: the outer IPv6 block is no verdict.
_TRANSPORTS = (_MAPPED, _NAT64)


@dataclass(frozen=True)
class Decision:
    """Whether deliveries may connect to an address, and if not, why (for the attempt log and form errors)."""

    allowed: bool
    reason: str = ""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the form's name; None for a plain IPv6 address."""
    value = int(ip)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if ip in _MAPPED:
        return "IPv4-mapped", low32
    if ip in _TRANSLATED:
        return "IPv4-translated", low32
    if ip in _NAT64:
        return "NAT64", low32
    if ip in _NAT64_LOCAL:
        # RFC 6052 /48 layout: 16 bits of the IPv4 address before the reserved u octet, 16 after it.
        return "NAT64", ipaddress.IPv4Address((((value >> 64) & 0xFFFF) << 16) | ((value >> 40) & 0xFFFF))
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]  # the client's address (stored inverted; ipaddress undoes that)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip in _COMPATIBLE and value > 1:
        return "IPv4-compatible", low32
    return None


def _allowed_networks() -> list[Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])]


def _opened(ip: IPAddress, opened: list[Network]) -> bool:
    if any(ip.version == net.version and ip in net for net in opened):
        return True
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False)) and ip.is_loopback


def _denied(ip: IPAddress) -> bool:
    blocks = DENIED_V4 if isinstance(ip, ipaddress.IPv4Address) else DENIED_V6
    return any(ip in net for net in blocks) or not ip.is_global


def address_decision(ip: IPAddress) -> Decision:
    """The SSRF rule for one resolved address (module docstring): denied blocks first, then the opened networks."""
    opened = _allowed_networks()
    targets: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            form, v4 = embedded
            if any(ip in net for net in _TRANSPORTS) and not _opened(ip, opened):
                targets = [v4]  # what the packet reaches; the outer block itself is no verdict
            else:
                targets.append(v4)
            if _denied(v4) and not _opened(v4, opened):
                return Decision(False, f"{ip} carries the internal IPv4 address {v4} ({form})")
    for target in targets:
        if _denied(target) and not _opened(target, opened):
            return Decision(False, f"{target} is a private, loopback, reserved or otherwise internal address")
    return Decision(True)


def address_allowed(ip: IPAddress) -> bool:
    """Whether deliveries may connect to `ip` (see `address_decision`)."""
    return address_decision(ip).allowed
