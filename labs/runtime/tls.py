"""The run's own certificate authority, standing in for ACM.

An HTTPS listener names ACM certificates by domain; the run issues each one from a CA
that exists only for this run, and the simulated clients trust that CA alone. The
listener picks a certificate by SNI the way ALB does: an exact name first, then a
wildcard, else the listener's default (first) certificate.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_VALIDITY = datetime.timedelta(days=2)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True, slots=True)
class Issued:
    domains: tuple[str, ...]
    cert_pem: bytes
    key_pem: bytes


class RunAuthority:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        subject = _name("ELB Playground run CA")
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, domains: tuple[str, ...]) -> Issued:
        """A certificate for ``domains`` (the first is the common name)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(domains[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )
        return Issued(domains, cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))

    def client_context(self) -> ssl.SSLContext:
        """What a simulated client uses: trusts this run's CA and nothing else."""
        context = ssl.create_default_context(cadata=self.cert_pem.decode())
        return context


def unverified_client() -> ssl.SSLContext:
    """A load balancer as the TLS client of its targets: the back end's certificate is not
    validated (§6.5 for the NLB, §8 for a CLB without a back-end authentication policy)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def matches(pattern: str, server_name: str) -> bool:
    """Certificate name matching: exact, or ``*.`` covering exactly one label."""
    pattern, server_name = pattern.lower(), server_name.lower()
    if pattern.startswith("*."):
        head, _, rest = server_name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == server_name


class ListenerCertificates:
    """The server side of one HTTPS listener: one SSL context per certificate, SNI picks."""

    def __init__(self, authority: RunAuthority, certificates: tuple[tuple[str, ...], ...]):
        self._contexts: list[tuple[tuple[str, ...], ssl.SSLContext]] = []
        with tempfile.TemporaryDirectory() as folder:
            for n, domains in enumerate(certificates):
                issued = authority.issue(domains)
                cert, key = Path(folder, f"{n}.crt"), Path(folder, f"{n}.key")
                cert.write_bytes(issued.cert_pem)
                key.write_bytes(issued.key_pem)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(cert, key)
                self._contexts.append((domains, context))
        self.default = self._contexts[0][1]
        self.default.sni_callback = self._choose
        self._names: dict[int, str] = {}  # id(SSLObject) -> SNI server name, until read

    def server_name(self, ssl_object: object) -> str | None:
        """The SNI name a connection asked for (read once, after its handshake)."""
        return self._names.pop(id(ssl_object), None)

    def chosen(self, server_name: str | None) -> tuple[str, ...]:
        """The domains of the certificate ALB would present for ``server_name``."""
        if server_name:
            for exact_only in (True, False):
                for domains, _ in self._contexts:
                    if any(
                        d.lower() == server_name.lower() if exact_only else matches(d, server_name)
                        for d in domains
                    ):
                        return domains
        return self._contexts[0][0]

    def _choose(
        self, connection: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext
    ) -> None:
        if server_name:
            self._names[id(connection)] = server_name
        domains = self.chosen(server_name)
        for candidate, context in self._contexts:
            if candidate == domains:
                connection.context = context
                return
