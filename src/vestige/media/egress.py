"""The one way out for a web capture: a forward proxy that reaches the public internet only.

A page an adversary controls can make the browser fetch anything — a redirect, an ``<img>``, an
``<iframe>``, ``fetch()``, a ``<video>``, a media URL handed to yt-dlp — and a name can resolve to
a public address when checked and to ``127.0.0.1`` a second later (DNS rebinding). So the capture
process starts this proxy, points Chromium (``--proxy-server``, loopback not bypassed) and yt-dlp
at it, and the proxy, for every request and every ``CONNECT``, resolves the name **once**, refuses
unless every address is globally routable (:func:`public` — after unwrapping IPv4-mapped, 6to4,
Teredo, NAT64 and IPv4-compatible IPv6 forms), and connects to the very address it checked.
Each decision is recorded; refused requests go into the capture's record.

Standard library only; runs in the capture process (threads), bound to 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_HEAD = 64 * 1024
IDLE_S = 60.0
REFUSED_HEADER = "X-Vestige-Egress"
DROP_HEADERS = {"proxy-connection", "proxy-authorization", "connection", "keep-alive"}


def _unwrap(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo client, NAT64,
    IPv4-compatible), or None."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible)
        return ipaddress.IPv4Address(int(ip))
    return None


def public(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Is ``address`` globally routable (and so neither this machine, its networks, a cloud
    metadata service nor shared/carrier space)? Embedded IPv4 addresses are judged too."""
    ip = ipaddress.ip_address(str(address).split("%")[0]) if isinstance(address, str) else address
    inner = _unwrap(ip)
    if inner is not None and not public(inner):
        return False
    if ip.version == 6 and ip.ipv4_mapped is None and ip.sixtofour is None and ip.teredo is None and ip not in NAT64:
        if ip in ipaddress.ip_network("64:ff9b:1::/48"):  # local-use NAT64 (RFC 8215)
            return False
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Allow:
    """Non-public destinations a deployment allows on purpose (``VESTIGE_CAPTURE_ALLOW_PRIVATE``):
    ``ADDRESS[/PREFIX][:PORT]`` or ``[IPv6][:PORT]`` entries separated by commas or spaces;
    ``1``/``true`` allows every non-public address (a lab without internet, never production)."""

    everything: bool = False
    entries: tuple = ()  # (network, port or None)

    @classmethod
    def parse(cls, text: str | bool | None) -> Allow:
        if isinstance(text, bool) or text is None:
            return cls(everything=bool(text))
        value = text.strip()
        if value.lower() in ("", "0", "false", "no", "off"):
            return cls()
        if value.lower() in ("1", "true", "yes", "on"):
            return cls(everything=True)
        entries = []
        for entry in value.replace(",", " ").split():
            port = None
            if entry.startswith("["):
                host, _, rest = entry[1:].partition("]")
                if rest.startswith(":"):
                    port = rest[1:]
            elif entry.count(":") == 1:
                host, port = entry.split(":")
            else:
                host = entry
            try:
                net = ipaddress.ip_network(host, strict=False)
                port_n = int(port) if port else None
            except ValueError:
                raise ValueError(f"VESTIGE_CAPTURE_ALLOW_PRIVATE: {entry!r} is not ADDRESS[/PREFIX][:PORT]") from None
            entries.append((net, port_n))
        return cls(entries=tuple(entries))

    def permits(self, address: str, port: int) -> bool:
        if self.everything:
            return True
        ip = ipaddress.ip_address(address.split("%")[0])
        return any(ip in net and (p is None or p == port) for net, p in self.entries)

    def text(self) -> str:
        if self.everything:
            return "1"
        return ",".join(f"[{n}]:{p}" if n.version == 6 and p else f"{n}:{p}" if p else str(n) for n, p in self.entries)


def resolve(host: str, port: int, allow: Allow) -> tuple[str | None, str]:
    """(the address to connect to, "") or (None, why refused): every address the name has must
    be public or allowed; the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        return None, f"no such host ({e})"
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        return None, "no address"
    for address in addresses:
        if not public(address) and not allow.permits(address, port):
            return None, f"{address} is not a public address"
    return addresses[0], ""


@dataclass
class Decision:
    time: float
    method: str
    host: str
    port: int
    address: str
    allowed: bool
    reason: str = ""
    url: str = ""

    def as_dict(self) -> dict:
        return {"method": self.method, "host": self.host, "port": self.port, "address": self.address,
                "allowed": self.allowed, "reason": self.reason, "url": self.url}


@dataclass
class Log:
    decisions: list[Decision] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, d: Decision) -> None:
        with self.lock:
            self.decisions.append(d)

    def refused(self) -> list[dict]:
        with self.lock:
            return [d.as_dict() for d in self.decisions if not d.allowed]

    def count(self) -> int:
        with self.lock:
            return len(self.decisions)


class _Handler(socketserver.BaseRequestHandler):
    server: EgressProxy

    def _read_head(self) -> bytes | None:
        data = b""
        self.request.settimeout(IDLE_S)
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_HEAD:
                return None
        return data

    def _refuse(self, status: str, why: str) -> None:
        body = f"refused by Vestige's capture proxy: {why}\n".encode()
        self.request.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                             f"{REFUSED_HEADER}: refused\r\nConnection: close\r\n\r\n".encode() + body)

    def handle(self) -> None:
        try:
            head = self._read_head()
        except OSError:
            return
        if head is None:
            return
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            self._refuse("400 Bad Request", "not an HTTP request")
            return
        if method == "CONNECT":
            host, _, port_s = target.rpartition(":")
            host = host.strip("[]")
            url = f"https://{target}"
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                self._refuse("400 Bad Request", "only absolute http:// URLs or CONNECT")
                return
            host, port_s, url = parts.hostname, str(parts.port or 80), target
        try:
            port = int(port_s)
        except ValueError:
            self._refuse("400 Bad Request", "no port")
            return
        address, why = resolve(host, port, self.server.allow)
        self.server.log.add(Decision(time.time(), method, host, port, address or "", address is not None, why, url[:500]))
        if address is None:
            self._refuse("403 Forbidden", f"{host}: {why}")
            return
        try:
            upstream = socket.create_connection((address, port), timeout=IDLE_S)
        except OSError as e:
            self._refuse("502 Bad Gateway", f"{host}: {e}")
            return
        with upstream:
            if method == "CONNECT":
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
            else:
                parts = urlsplit(target)
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                kept = [h for h in lines[1:] if h.split(":", 1)[0].strip().lower() not in DROP_HEADERS]
                upstream.sendall(f"{method} {path} {version}\r\n".encode("latin-1")
                                 + "\r\n".join([*kept, "Connection: close"]).encode("latin-1") + b"\r\n\r\n" + rest)
            self._pipe(upstream)

    def _pipe(self, upstream: socket.socket) -> None:
        """Relay both ways until one side closes. A plain request went upstream with
        ``Connection: close``: the connection ends with its response, and anything more the client
        sends on it reaches only the address already checked."""
        sockets = [self.request, upstream]
        while True:
            ready, _, _ = select.select(sockets, [], [], IDLE_S)
            if not ready:
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                other = upstream if s is self.request else self.request
                try:
                    other.sendall(data)
                except OSError:
                    return


class EgressProxy(socketserver.ThreadingTCPServer):
    """``with EgressProxy(allow) as proxy: proxy.url`` — the checking proxy on 127.0.0.1."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, allow: Allow | None = None) -> None:
        self.allow = allow or Allow()
        self.log = Log()
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="capture-egress")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> EgressProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
