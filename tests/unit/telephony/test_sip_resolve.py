"""Finding the trunk's next hop (RFC 3263/2782) with an injected resolver: order, weights,
fallbacks, failures. The real resolver against a DNS server is in the integration tests
(test_plane_srv_sipp.py)."""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter

import pytest

from lexdial.adapters.telephony import sip_resolve
from lexdial.adapters.telephony.sip_resolve import (
    DnsError,
    DnsLookup,
    Srv,
    next_hops,
    srv_order,
)
from lexdial.adapters.telephony.sip_trunk import Trunk


class Zone:
    """An in-memory zone answering the two questions the resolver asks, recording them."""

    def __init__(
        self, srv: dict[str, list[Srv]] | None = None, a: dict[str, list[str]] | None = None
    ) -> None:
        self.srv_records, self.a = srv or {}, a or {}
        self.asked: list[tuple[str, str]] = []

    async def srv(self, name: str) -> list[Srv]:
        self.asked.append(("SRV", name))
        return self.srv_records.get(name, [])

    async def addresses(self, name: str, family: socket.AddressFamily) -> list[str]:
        rtype = "AAAA" if family == socket.AF_INET6 else "A"
        self.asked.append((rtype, name))
        found = [a for a in self.a.get(name, []) if (":" in a) == (rtype == "AAAA")]
        if not found:
            raise DnsError(f"DNS: the name {name} has no {rtype} record")
        return found


def hops(trunk: Trunk, zone: Zone, seed: int = 1) -> list[tuple[str, int]]:
    return asyncio.run(next_hops(trunk, zone, random.Random(seed)))


@pytest.mark.parametrize(
    ("transport", "service"), [("udp", "_sip._udp"), ("tcp", "_sip._tcp"), ("tls", "_sips._tcp")]
)
def test_a_name_without_a_port_is_looked_up_as_srv_for_the_trunks_transport(
    transport: str, service: str
) -> None:
    zone = Zone(
        srv={f"{service}.carrier.test": [Srv(10, 0, 5080, "edge.carrier.test")]},
        a={"edge.carrier.test": ["192.0.2.10"]},
    )
    assert hops(Trunk("carrier.test", transport=transport), zone) == [("192.0.2.10", 5080)]
    assert zone.asked == [("SRV", f"{service}.carrier.test"), ("A", "edge.carrier.test")]


def test_srv_targets_come_by_priority_lowest_first_whatever_their_weight() -> None:
    records = [
        Srv(20, 100, 5060, "backup.test"),
        Srv(10, 1, 5060, "main.test"),
        Srv(30, 0, 5060, "last.test"),
    ]
    for seed in range(20):
        order = srv_order(records, random.Random(seed))
        assert [r.target for r in order] == ["main.test", "backup.test", "last.test"]


def test_within_a_priority_targets_are_chosen_in_proportion_to_their_weight() -> None:
    records = [Srv(10, 75, 5060, "big.test"), Srv(10, 25, 5060, "small.test")]
    rng = random.Random(7)
    first = Counter(srv_order(records, rng)[0].target for _ in range(10_000))
    # 75/(75+25) by RFC 2782's running sum (the draw is 0..100 inclusive: 76 of 101 values)
    assert 0.72 < first["big.test"] / 10_000 < 0.78
    assert first["small.test"] > 0


def test_a_zero_weight_target_is_still_tried_but_after_the_weighted_ones_mostly() -> None:
    records = [Srv(10, 0, 5060, "zero.test"), Srv(10, 50, 5060, "weighted.test")]
    rng = random.Random(3)
    orders = [tuple(r.target for r in srv_order(records, rng)) for _ in range(2_000)]
    assert all(sorted(o) == ["weighted.test", "zero.test"] for o in orders)
    assert Counter(o[0] for o in orders)["weighted.test"] > 1_900


def test_every_target_of_every_priority_is_in_the_order_once() -> None:
    records = [Srv(p, w, 5060 + i, f"t{i}.test") for i, (p, w) in enumerate([(1, 5)] * 4)]
    records += [Srv(2, 0, 6000, "z.test")]
    order = srv_order(records, random.Random(11))
    assert sorted(r.target for r in order) == sorted(r.target for r in records)
    assert order[-1].target == "z.test"


def test_the_hops_follow_the_srv_order_each_target_with_all_its_addresses() -> None:
    zone = Zone(
        srv={
            "_sip._udp.carrier.test": [
                Srv(20, 0, 5070, "b.carrier.test"),
                Srv(10, 0, 5080, "a.carrier.test"),
            ]
        },
        a={"a.carrier.test": ["192.0.2.1", "192.0.2.2"], "b.carrier.test": ["192.0.2.3"]},
    )
    assert hops(Trunk("carrier.test"), zone) == [
        ("192.0.2.1", 5080),
        ("192.0.2.2", 5080),
        ("192.0.2.3", 5070),
    ]


def test_a_target_without_an_address_is_skipped_for_the_next() -> None:
    zone = Zone(
        srv={
            "_sip._tcp.carrier.test": [Srv(10, 0, 5080, "gone.test"), Srv(20, 0, 5090, "ok.test")]
        },
        a={"ok.test": ["192.0.2.9"]},
    )
    assert hops(Trunk("carrier.test", transport="tcp"), zone) == [("192.0.2.9", 5090)]


def test_without_srv_the_name_is_looked_up_as_a_on_the_default_port() -> None:
    zone = Zone(a={"carrier.test": ["192.0.2.5"]})
    assert hops(Trunk("carrier.test"), zone) == [("192.0.2.5", 5060)]
    assert hops(Trunk("carrier.test", transport="tls"), zone) == [("192.0.2.5", 5061)]
    assert ("SRV", "_sips._tcp.carrier.test") in zone.asked


def test_an_explicit_port_skips_srv() -> None:
    zone = Zone(
        srv={"_sip._udp.carrier.test": [Srv(10, 0, 9999, "other.test")]},
        a={"carrier.test": ["192.0.2.5"]},
    )
    assert hops(Trunk("carrier.test:5062"), zone) == [("192.0.2.5", 5062)]
    assert zone.asked == [("A", "carrier.test")]


@pytest.mark.parametrize(
    ("address", "hop"),
    [("192.0.2.7", ("192.0.2.7", 5060)), ("192.0.2.7:5099", ("192.0.2.7", 5099))],
)
def test_an_ip_literal_is_the_hop_without_any_lookup(address: str, hop: tuple[str, int]) -> None:
    zone = Zone()
    assert hops(Trunk(address), zone) == [hop]
    assert zone.asked == []


def test_an_ipv6_literal_keeps_its_address_without_brackets() -> None:
    trunk = Trunk("[2001:db8::1]:5070", bind_address="::1")
    assert hops(trunk, Zone()) == [("2001:db8::1", 5070)]


def test_the_outbound_proxy_is_resolved_not_the_trunk() -> None:
    zone = Zone(
        srv={"_sip._udp.proxy.test": [Srv(10, 0, 5070, "edge.proxy.test")]},
        a={"edge.proxy.test": ["192.0.2.20"], "carrier.test": ["192.0.2.5"]},
    )
    trunk = Trunk("carrier.test", outbound_proxy="proxy.test")
    assert hops(trunk, zone) == [("192.0.2.20", 5070)]
    assert all("carrier.test" not in name for _, name in zone.asked)


def test_an_ipv6_bind_address_asks_for_aaaa() -> None:
    zone = Zone(a={"carrier.test": ["192.0.2.5", "2001:db8::5"]})
    assert hops(Trunk("carrier.test", bind_address="::1"), zone) == [("2001:db8::5", 5060)]
    assert ("AAAA", "carrier.test") in zone.asked


def test_a_name_that_does_not_resolve_is_an_error_naming_it_and_the_record_type() -> None:
    with pytest.raises(DnsError, match=r"carrier\.test has no A record"):
        hops(Trunk("carrier.test"), Zone())


def test_srv_targets_none_of_which_resolve_is_an_error_naming_the_srv_name() -> None:
    zone = Zone(srv={"_sip._udp.carrier.test": [Srv(10, 0, 5080, "gone.test")]})
    with pytest.raises(DnsError, match=r"no target of SRV _sip\._udp\.carrier\.test .*gone\.test"):
        hops(Trunk("carrier.test"), zone)


def test_a_dot_as_the_only_srv_target_says_the_domain_offers_no_sip_there() -> None:
    zone = Zone(
        srv={"_sips._tcp.carrier.test": [Srv(0, 0, 0, ".")]}, a={"carrier.test": ["192.0.2.5"]}
    )
    with pytest.raises(DnsError, match=r"SRV _sips\._tcp\.carrier\.test says the domain offers"):
        hops(Trunk("carrier.test", transport="tls"), zone)


def test_a_dns_server_that_does_not_answer_is_named_with_the_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real lookup against a UDP port that takes packets and never answers."""
    monkeypatch.setattr(sip_resolve, "LIFETIME", 0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        server = f"127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(DnsError, match=rf"SRV _sip\._udp\.carrier\.test: {server} did not"):
            asyncio.run(DnsLookup(server).srv("_sip._udp.carrier.test"))


# --- the stream transport asks for its hops at every connect --------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_stream_connects_to_the_first_hop_that_accepts_and_asks_again_on_reconnect() -> None:
    """The first hop refuses, the second accepts; when that connection is dropped the
    reconnect asks for the hops again (a carrier that moved is followed)."""
    from lexdial.adapters.telephony.sip_transport import StreamTransport

    async def body() -> tuple[int, list[tuple[str, int]], list[str]]:
        accepted: list[asyncio.StreamWriter] = []
        server = await asyncio.start_server(lambda _r, w: accepted.append(w), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        asked: list[int] = []
        lost: list[str] = []

        async def hop_list() -> list[tuple[str, int]]:
            asked.append(1)
            return [("127.0.0.1", _closed_port()), ("127.0.0.1", port)]

        stream = StreamTransport(
            Trunk("carrier.test", transport="tcp"), hop_list, "carrier.test",
            lambda *_: None, lost.append,
        )  # fmt: skip
        try:
            await stream.start()
            first = stream.hop
            for _ in range(100):
                if accepted:
                    break
                await asyncio.sleep(0.01)
            accepted[0].close()  # the trunk drops us: the transport reconnects
            for _ in range(200):
                if len(accepted) == 2:
                    break
                await asyncio.sleep(0.01)
            return len(asked), [first, stream.hop], lost
        finally:
            stream.close()
            for w in accepted:
                w.close()
            server.close()
            await server.wait_closed()
            await asyncio.sleep(0.05)  # the closed transports let go of their sockets

    asked, hops_used, lost = asyncio.run(body())
    assert asked == 2
    assert hops_used[0] == hops_used[1] and hops_used[0][1] != 0
    assert lost and lost[0].startswith("connection lost")


def test_a_stream_whose_name_does_not_resolve_raises_the_dns_error() -> None:
    from lexdial.adapters.telephony.sip_transport import StreamTransport

    async def no_hops() -> list[tuple[str, int]]:
        raise DnsError("DNS: SRV _sip._tcp.carrier.test: 10.0.0.2:53 did not answer")

    async def body() -> None:
        stream = StreamTransport(
            Trunk("carrier.test", transport="tcp"), no_hops, "carrier.test",
            lambda *_: None, lambda _: None,
        )  # fmt: skip
        try:
            await stream.start()
        finally:
            stream.close()

    with pytest.raises(DnsError, match=r"SRV _sip\._tcp\.carrier\.test"):
        asyncio.run(body())
