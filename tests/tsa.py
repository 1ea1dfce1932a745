"""A real RFC 3161 Time-Stamping Authority on 127.0.0.1 for the tests: OpenSSL's ``ts -reply``
answers each ``application/timestamp-query`` POSTed to it, signing with a TSA certificate (critical
extended key usage timeStamping) issued by a throw-away root made here with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import http.server
import subprocess
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vestige tests")])


def make_ca(cn: str, *, days: int = 3650):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue(ca_key, ca_cert, cn: str, *, tsa: bool = False, dns: str | None = None, days: int = 365):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if tsa:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                          crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
    if dns:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return key, b.sign(ca_key, hashes.SHA256())


def pem(*certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


class LocalTSA:
    """``with LocalTSA() as tsa: tsa.url`` — ``tsa.root_pem`` is the root to trust, ``tsa.requests``
    counts what it answered; ``tsa.fail = True`` makes it answer 500 (a TSA that is down)."""

    def __init__(self, cn: str = "Vestige test TSA") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vestige-tsa-"))
        self.root_key, self.root = make_ca(cn + " root")
        key, self.cert = issue(self.root_key, self.root, cn, tsa=True)
        (self.dir / "tsa.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
        (self.dir / "tsa.crt").write_bytes(pem(self.cert))
        (self.dir / "chain.pem").write_bytes(pem(self.root))
        (self.dir / "serial").write_text("01\n")
        (self.dir / "ts.cnf").write_text(CONFIG.format(dir=self.dir))
        self.root_pem = pem(self.root)
        self.chain_pem = pem(self.cert, self.root)
        self.requests = 0
        self.fail = False
        self._lock = threading.Lock()
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if tsa.fail or self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_response(500)
                    self.end_headers()
                    return
                with tsa._lock:
                    q, r = tsa.dir / "q.tsq", tsa.dir / "r.tsr"
                    q.write_bytes(body)
                    subprocess.run(["openssl", "ts", "-reply", "-config", str(tsa.dir / "ts.cnf"), "-queryfile", str(q),
                                    "-out", str(r)], check=True, capture_output=True)
                    data = r.read_bytes()
                    tsa.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._handler = Handler
        self.url = ""

    def stamp(self, message: bytes) -> bytes:
        """A timestamp response for ``message`` (SHA-256), straight from OpenSSL."""
        from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

        request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build().as_bytes()
        with self._lock:
            q, r = self.dir / "q.tsq", self.dir / "r.tsr"
            q.write_bytes(request)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.dir / "ts.cnf"), "-queryfile", str(q),
                            "-out", str(r)], check=True, capture_output=True)
            return r.read_bytes()

    def __enter__(self) -> LocalTSA:
        """Serve on 127.0.0.1 (``self.url``) until the ``with`` block ends."""
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
