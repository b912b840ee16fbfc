"""The sandbox address map: virtual AWS addresses ↔ real loopback sockets.

Learners see VPC addresses (targets at 10.0.1.10, clients at public-looking IPs); each
becomes a distinct loopback address, ``10.0.1.10`` → ``127.0.1.10`` when free, so the
load balancer sees a real, distinct peer per client and a target sees the LB node's
address as its peer. Linux routes all of 127.0.0.0/8 to loopback: no privileges needed.

The proxy and the health checker reach targets only through ``endpoint()``: an address
that is not in this run's map raises ``SandboxViolation``, so nothing a learner types can
make the worker connect outside the run.
"""

import ipaddress

_SPILL = ipaddress.IPv4Network("127.250.0.0/16")


class SandboxViolation(Exception):
    """An address outside the run's sandbox was asked for."""


class Sandbox:
    def __init__(self) -> None:
        self._loopback: dict[str, str] = {}  # virtual ip -> loopback ip
        self._virtual: dict[str, str] = {}  # loopback ip -> virtual ip
        self._endpoints: dict[str, tuple[str, int]] = {}  # virtual "ip:port" -> real socket
        self._spill = _SPILL.hosts()

    def loopback(self, virtual_ip: str) -> str:
        """The loopback address standing for ``virtual_ip`` (allocated on first use)."""
        known = self._loopback.get(virtual_ip)
        if known is not None:
            return known
        octets = ipaddress.IPv4Address(virtual_ip).packed
        preferred = f"127.{octets[1]}.{octets[2]}.{octets[3]}"
        chosen = preferred if self._usable(preferred) else str(next(self._spill))
        self._loopback[virtual_ip] = chosen
        self._virtual[chosen] = virtual_ip
        return chosen

    def _usable(self, address: str) -> bool:
        return address not in self._virtual and not address.startswith(("127.0.0.", "127.250."))

    def virtual(self, loopback_ip: str) -> str | None:
        """The virtual address behind a real peer address, or None for strangers."""
        return self._virtual.get(loopback_ip)

    def publish(self, virtual_address: str, real: tuple[str, int]) -> None:
        """Record where a bound target really listens."""
        host, port = real
        if not ipaddress.IPv4Address(host).is_loopback:
            raise SandboxViolation(f"{host} is not a loopback address")
        self._endpoints[virtual_address] = (host, port)

    def endpoint(self, virtual_address: str) -> tuple[str, int]:
        try:
            return self._endpoints[virtual_address]
        except KeyError:
            raise SandboxViolation(f"{virtual_address} is not in this run's sandbox") from None
