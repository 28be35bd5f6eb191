"""The example files under deploy/ agree with the code: the systemd units run commands the
real CLI parser accepts, the proxies forward to the default [instance] listen address with
the headers fedishare reads, and let through the largest request fedishare takes.

`nginx -t` and `caddy validate` check the proxy files when those programs are installed;
without them the files' structure is checked here instead, and `systemd-analyze verify`
checks the units when it is installed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fedishare.cli import build_parser
from fedishare.client_api.params import MAX_FILES
from fedishare.core.config import default_config_text, parse_config
from fedishare.core.listing import MAX_IMAGES
from fedishare.web.form_uploads import FORM_TEXT_BYTES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = {"fedishare-serve.service": "serve", "fedishare-work.service": "work"}


def _defaults() -> tuple[str, int, int]:
    """The default listen address, and the largest request body fedishare takes."""
    config = parse_config(tomllib.loads(default_config_text("share.example.org")), DEPLOY)
    limits = config.limits
    largest = max(
        MAX_IMAGES * limits.max_upload_bytes + FORM_TEXT_BYTES,  # a listing with its photos
        MAX_FILES * limits.max_upload_bytes + limits.max_body_bytes,  # an app's profile
        limits.max_body_bytes,
    )
    listen = f"{config.instance.listen_host}:{config.instance.listen_port}"
    return listen, largest, limits.max_upload_bytes


def _unit(name: str) -> dict[str, list[str]]:
    """A unit file's keys (every section's), each with its values in order."""
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{name}: not KEY=VALUE: {line!r}"
        keys.setdefault(key, []).append(value)
    return keys


def test_the_units_run_commands_the_cli_accepts() -> None:
    for name, command in UNITS.items():
        unit = _unit(name)
        argv = shlex.split(unit["ExecStart"][0])
        assert argv[0].endswith("/bin/fedishare")
        args = build_parser().parse_args(argv[1:])
        assert args.command == command
        # instance.toml named, so that a missing one is refused, not written anew.
        assert Path(args.config).parent == Path(unit["WorkingDirectory"][0])
        assert unit["ReadWritePaths"] == unit["WorkingDirectory"]  # database, media, locks
        assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]  # fedishare.reload
        assert unit["Restart"] == ["on-failure"]
        assert unit["ProtectSystem"] == ["strict"]
        assert unit["User"] == ["fedishare"]
    serve = build_parser().parse_args(
        shlex.split(_unit("fedishare-serve.service")["ExecStart"][0])[1:]
    )
    assert serve.no_workers  # fedishare-work.service runs them


def test_the_readme_production_commands_parse() -> None:
    """Each `fedishare` command the README's "Running in production" shows."""
    section = (ROOT / "README.md").read_text().split("## Running in production", 1)[1]
    section = section.split("\n## ", 1)[0].replace("\\\n", " ")
    commands = [
        shlex.split(line.split("/bin/fedishare ", 1)[1].split("#", 1)[0])
        for line in section.splitlines()
        if "/bin/fedishare " in line
    ]
    assert len(commands) == 4  # init, config check, backup, queue status
    for argv in commands:
        args = build_parser().parse_args(argv)
        assert Path(args.config) == Path("/var/lib/fedishare/instance.toml"), argv


def test_systemd_analyze_accepts_the_units(tmp_path: Path) -> None:
    """The units as systemd reads them, with ExecStart pointing at this installation."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        for name in UNITS:  # the structure instead: the three sections, in order
            sections = re.findall(r"^\[(\w+)\]$", (DEPLOY / name).read_text(), re.M)
            assert sections == ["Unit", "Service", "Install"]
        return
    fedishare = Path(sys.executable).parent / "fedishare"
    assert fedishare.exists()
    for name in UNITS:
        text = (
            (DEPLOY / name).read_text().replace("/opt/fedishare/venv/bin/fedishare", str(fedishare))
        )
        path = tmp_path / name
        path.write_text(text)
        done = subprocess.run(
            [analyze, "verify", "--man=no", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # A complaint about the file names it with a line number ("FILE:29: Unknown key
        # ..."); those about this machine (no fedishare user, no running systemd) do not.
        problems = [line for line in done.stderr.splitlines() if line.startswith(f"{path}:")]
        assert problems == [], done.stderr


def test_nginx_forwards_to_the_listen_address_with_what_fedishare_reads() -> None:
    listen, largest, _ = _defaults()
    text = (DEPLOY / "nginx.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert code.count("{") == code.count("}")
    for line in code.splitlines():
        line = line.strip()
        assert not line or line.endswith((";", "{", "}")), line
    assert re.search(rf"^\s*server {re.escape(listen)};", code, re.M)
    size = re.search(r"client_max_body_size (\d+)m;", code)
    assert size is not None and int(size[1]) * 1024 * 1024 >= largest
    for location in ("location /api/v1/streaming {", "location / {"):
        block = code.split(location, 1)[1].split("}", 1)[0]
        assert "proxy_pass http://fedishare;" in block
        assert "proxy_set_header Host $host;" in block  # signatures cover it
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in block
    streaming = code.split("location /api/v1/streaming {", 1)[1].split("}", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in streaming
    assert "proxy_http_version 1.1;" in streaming
    assert re.search(r"location = /metrics \{\s*return 404;", code)
    assert "listen 443 ssl;" in code and "ssl_certificate " in code
    nginx = shutil.which("nginx")
    if nginx is not None:
        _nginx_t(nginx, text)


def _nginx_t(nginx: str, site: str) -> None:
    """`nginx -t` on the site inside a minimal main file, with a throwaway certificate."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cert, key = _self_signed(root)
        site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
        site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
        (root / "site.conf").write_text(site)
        (root / "nginx.conf").write_text(
            f"pid {root}/nginx.pid;\nerror_log {root}/error.log;\nevents {{}}\n"
            f"http {{ access_log off; include {root}/site.conf; }}\n"
        )
        done = subprocess.run(
            [nginx, "-t", "-p", str(root), "-c", str(root / "nginx.conf")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def _self_signed(root: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "share.example.org")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = root / "cert.pem", root / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_caddy_forwards_to_the_listen_address() -> None:
    listen, largest, _ = _defaults()
    text = (DEPLOY / "Caddyfile").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert code.count("{") == code.count("}")
    assert re.search(rf"^\s*reverse_proxy {re.escape(listen)}$", code, re.M)
    size = re.search(r"max_size (\d+)MiB", code)
    assert size is not None and int(size[1]) * 1024 * 1024 >= largest
    assert re.search(r"^\s*respond /metrics 404$", code, re.M)
    caddy = shutil.which("caddy")
    if caddy is not None:
        done = subprocess.run(
            [caddy, "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
