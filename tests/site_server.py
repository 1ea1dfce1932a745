"""A small web site on 127.0.0.1 for the capture tests (no internet here): a page reached through
a redirect, with text, an image and a ``<video>`` whose file is a real MP4 made with PyAV."""

from __future__ import annotations

import http.server
import io
import threading
from fractions import Fraction

PAGE = """<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Ізюм: масове поховання</title>
<meta property="og:title" content="Izium"></head><body>
<h1>Izium, Pishanske cemetery</h1>
<p>Posted by a resident on 15 September 2022: more than 440 graves in the forest.</p>
<img src="/photo.png" alt="graves">
<video controls width="320" src="/media/clip.mp4"></video>
<div style="height:2500px"></div><p id="end">End of the post.</p>
</body></html>"""


def make_mp4(frames: int = 24, size: tuple[int, int] = (160, 120), seed: int = 0, crf: int = 23) -> bytes:
    """A short H.264 MP4 of moving shapes (real footage for PyAV and yt-dlp)."""
    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": str(crf)}
        stream.time_base = Fraction(1, 12)
        for i in range(frames):
            img = np.roll(base, i * 2, axis=1).copy()
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def make_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "PNG")
    return out.getvalue()


class SiteServer:
    """``with SiteServer() as s: s.url("/old-post")`` — ``/old-post`` redirects (301) to ``/post``."""

    def __init__(self) -> None:
        self.files = {"/post": (PAGE.encode(), "text/html; charset=utf-8"), "/photo.png": (make_png(), "image/png"),
                      "/media/clip.mp4": (make_mp4(), "video/mp4")}
        self.redirects = {"/old-post": "/post"}
        self.hits: list[str] = []  # every path asked, in order
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits.append(self.path)
                if self.path in server.redirects:
                    self.send_response(301)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                found = server.files.get(self.path.split("?")[0])
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, ctype = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Served-By", "vestige-test-site")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._handler = Handler

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> SiteServer:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
