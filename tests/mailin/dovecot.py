"""A private Dovecot IMAP server for the tests: IMAPS on 127.0.0.1, a test user, a maildir in a temp folder.

Debian's ``dovecot-imapd`` provides the binary (``.ci/run`` installs it); the system service is
never used. Each server gets its own configuration, base_dir, TLS certificate (self-signed,
made here) and free port, so parallel test runs never meet.
"""

from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "ubnd@donghung.test"
PASSWORD = "mat-khau-thu-nghiem"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(cert: Path, key: Path) -> None:
    """Write a self-signed certificate for 127.0.0.1 and localhost (cryptography, no openssl CLI)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # OpenSSL checks validity against the real clock, which a --shift-days run moves for Python only.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1000)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        # Long enough for a run with the clock moved 400 days ahead (--shift-days).
        .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key.chmod(0o600)


@dataclass
class Dovecot:
    """A running private Dovecot: where it listens, who may log in, and how to trust its certificate."""

    root: Path
    port: int
    cert: Path
    process: subprocess.Popen[bytes] | None = None
    user: str = USER
    password: str = PASSWORD

    def ssl_context(self) -> ssl.SSLContext:
        """Return a client context that trusts only this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self):
        """Return an IMAPClient logged in as the test user."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=True, ssl_context=self.ssl_context(), timeout=10)
        client.login(self.user, self.password)
        return client

    def log(self) -> str:
        """Return the server's log (for failure messages)."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


def start(root: Path) -> Dovecot:
    """Configure and start a Dovecot under ``root``; return once it accepts TLS connections."""
    root.mkdir(parents=True, exist_ok=True)
    cert, key = root / "cert.pem", root / "key.pem"
    _self_signed(cert, key)
    port = _free_port()
    home = root / "home"
    (home / "Maildir").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # Dovecot never runs mail processes as root: use its own system accounts.
        internal, login = "dovecot", "dovenull"
        mail_uid, mail_gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
        for path in [home, *home.rglob("*")]:
            os.chown(path, mail_uid, mail_gid)
        root.chmod(0o755)
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        mail_uid, mail_gid = os.geteuid(), os.getegid()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(mail_gid).gr_name if internal != "dovecot" else "dovecot"}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{home}/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={home}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
""")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Dovecot(root=root, port=port, cert=cert, process=process)
    deadline = time.monotonic() + 30
    while True:  # wait on the condition (the port answers TLS), not on a fixed sleep
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            server.stop()
            raise RuntimeError(f"dovecot exited: {output}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock, \
                    server.ssl_context().wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                if tls.recv(64).startswith(b"* OK"):
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("dovecot did not start:\n" + server.log())
        time.sleep(0.05)
