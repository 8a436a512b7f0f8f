"""The drill's TLS: a self-signed certificate for 127.0.0.1, made per drill with `openssl`.

kubectl (client-go) sends a kubeconfig's credentials only to an https server, so the drill
serves TLS beside plain http on its one port; its kubeconfig trusts this certificate alone.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = 30  # a drill lasts hours; the certificate dies with its folder anyway


@dataclass(frozen=True)
class DrillTLS:
    """A server context and the certificate (PEM) clients are told to trust."""

    context: ssl.SSLContext
    certificate: bytes


def make_tls(folder: Path) -> DrillTLS | None:
    """A certificate and key in `folder` (key readable by its owner only); None without openssl
    or when it fails (the drill then serves plain http only)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "drill-cert.pem", folder / "drill-key.pem"
    key.touch(mode=0o600)
    try:
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
                        "-out", str(cert), "-days", str(DAYS), "-subj", "/CN=rollback-drill",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=30)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return DrillTLS(context, cert.read_bytes())
    except (OSError, subprocess.SubprocessError, ssl.SSLError):
        return None
