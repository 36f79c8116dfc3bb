"""Which IP addresses a crawl, or a page fetched outside it, may reach: globally routable only.

Pure functions, without Scrapy: ``newsmon extract URL`` and ``topics test URL`` fetch through
newsmon/fetch.py and refuse the same addresses as the crawl's guard (crawler/middlewares.py,
crawler/resolver.py) without importing Scrapy (~0.4 s of CPU) to do it.
"""

from __future__ import annotations

import ipaddress

NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not reachable on the public internet, though Python's is_global says so: IETF protocol
# assignments (192.0.0.192 is a cloud metadata address) and the retired 6to4 relay anycast.
NOT_PUBLIC = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("192.88.99.0/24"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64, compatible), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # 64:ff9b::a.b.c.d, ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """Globally routable unicast, including for any IPv4 address hidden inside an IPv6 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        ip = inner
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in NOT_PUBLIC):
        return False
    return ip.is_global and not ip.is_multicast
