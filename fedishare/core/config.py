"""instance.toml: the operator's configuration, loaded and checked before anything starts.

Every problem names the file, the key and what was expected; nothing is created until the
whole file is valid.
"""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG_FILE = "instance.toml"
REGISTRATION_POLICIES = ("open", "approval", "closed")
# The inbox recognises a redelivered activity by its stored row, so finished rows must
# outlive Mastodon's redeliveries (about two days).
MIN_FINISHED_DAYS = 3
_USERNAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class ConfigError(Exception):
    """A refusal of the configuration, worded for the operator."""


@dataclass(frozen=True)
class InstanceSettings:
    domain: str  # host[:port] as it appears in URLs and acct: handles
    scheme: str
    allow_insecure: bool
    listen_host: str
    listen_port: int
    database: Path
    media: Path  # photos: uploaded, resized and cached from other servers
    # Proxies (addresses or networks) whose X-Forwarded-For names the client: rate limits
    # and log-in throttles count the client's address, not the proxy's.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # The database's largest size in MB; 0: as large as the disk allows. Writes past it are
    # refused (503, Retry-After) as on a full disk (fedishare.storage.database).
    max_database_mb: int = 0


@dataclass(frozen=True)
class CommunitySettings:
    handle: str
    name: str
    description: str
    rules: tuple[str, ...]
    # The neighbourhood's centre (both or neither): what [federation] radius_km counts from.
    latitude: float | None = None
    longitude: float | None = None

    @property
    def centre(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


@dataclass(frozen=True)
class FederationSettings:
    allow: tuple[str, ...]
    block: tuple[str, ...]
    radius_km: float = 0.0  # other servers' listings farther from the centre are left out
    # Mastodon's authorized fetch: our ActivityStreams documents only to signed GETs
    # (fedishare.http.signed_fetch).
    secure_mode: bool = False
    # Hosts (lower case, IPs normalised; with a port or None for any) that outgoing requests
    # may reach although their addresses are loopback or private: fedishare.federation.addresses.
    private_hosts: tuple[tuple[str, int | None], ...] = ()
    # Domains (and their subdomains) whose reports (Flag) are dropped (inbox.handlers.flag).
    reject_reports: tuple[str, ...] = ()
    # Which hosts may federate: fedishare.core.domain_policy, with the admins' blocks.


@dataclass(frozen=True)
class LimitSettings:
    max_body_bytes: int
    max_fetch_bytes: int
    max_listing_chars: int
    inbox_requests_per_minute: int
    delivery_concurrency: int
    delivery_per_host: int
    max_upload_bytes: int = 10_485_760
    # Per client address (or API token) in this process: fedishare.http.rate_limits.
    api_requests_per_5min: int = 300
    requests_per_address_per_5min: int = 7_500
    # Inbox POSTs per client address (fedishare.inbox.routes): above the per-host limit, as
    # one address may send for several servers on one hosting provider.
    inbox_requests_per_address_per_minute: int = 3_000
    logins_per_5min: int = 25
    signups_per_30min: int = 10
    password_resets_per_5min: int = 25


@dataclass(frozen=True)
class RetentionSettings:
    finished_days: float  # processed inbox items and ended deliveries are deleted this late

    @property
    def finished_seconds(self) -> float:
        return self.finished_days * 86_400


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives: `url` is ``sqlite:////absolute/path`` (the embedded default) or
    ``postgresql://...``; `pool_size`: connections each process keeps to PostgreSQL."""

    url: str
    pool_size: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:///")


@dataclass(frozen=True)
class MapSettings:
    # A tile URL template ({z}/{x}/{y}, optionally {s}); empty: the board shows no map.
    tiles: str = ""
    attribution: str = ""


LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class LoggingSettings:
    # What every process writes to stderr: fedishare.commands.logging_setup.
    level: str = "info"
    format: str = "text"  # "text" for people, "json" (one object a line) for collectors
    access: bool = False  # a line per HTTP request (`serve --access-log` turns it on too)


@dataclass(frozen=True)
class MetricsSettings:
    # Client addresses or networks that may read /metrics (fedishare.web.health).
    allow: tuple[str, ...] = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Config:
    path: Path
    instance: InstanceSettings
    community: CommunitySettings
    registration: str
    federation: FederationSettings
    limits: LimitSettings = field(repr=False)
    retention: RetentionSettings = field(repr=False)
    map: MapSettings = field(default_factory=MapSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    database: DatabaseSettings = field(default=DatabaseSettings(""))

    @property
    def database_url(self) -> str:
        """[database] url, or the SQLite file of [instance] database as one."""
        return self.database.url or "sqlite:///" + str(self.instance.database)

    @property
    def base_url(self) -> str:
        return f"{self.instance.scheme}://{self.instance.domain}"

    @property
    def host(self) -> str:
        """The domain without its port: the part Mastodon shows after the @."""
        return self.instance.domain


# --- the schema: section -> key -> (type, default) ------------------------------------------

_MISSING = object()

_SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "instance": {
        "domain": (str, _MISSING),
        "scheme": (str, "https"),
        "allow_insecure": (bool, False),
        "listen": (str, "127.0.0.1:8080"),
        "database": (str, "fedishare.sqlite3"),
        "media": (str, "media"),
        "trusted_proxies": (list, ["127.0.0.1", "::1"]),
        "max_database_mb": (int, 0),
    },
    "community": {
        "handle": (str, "community"),
        "name": (str, "Our neighbourhood"),
        "description": (str, "Neighbours sharing things, help and a place to stay."),
        "rules": (list, []),
        "latitude": ((int, float), None),
        "longitude": ((int, float), None),
    },
    "registration": {"policy": (str, "approval")},
    "federation": {
        "allow": (list, []),
        "block": (list, []),
        "radius_km": ((int, float), 0),
        "secure_mode": (bool, False),
        "private_hosts": (list, []),
        "reject_reports": (list, []),
    },
    "limits": {
        "max_body_bytes": (int, 1_048_576),
        "max_fetch_bytes": (int, 1_048_576),
        "max_listing_chars": (int, 5_000),
        "inbox_requests_per_minute": (int, 600),
        "delivery_concurrency": (int, 50),
        "delivery_per_host": (int, 8),
        "max_upload_bytes": (int, 10_485_760),
        "api_requests_per_5min": (int, 300),
        "requests_per_address_per_5min": (int, 7_500),
        "inbox_requests_per_address_per_minute": (int, 3_000),
        "logins_per_5min": (int, 25),
        "signups_per_30min": (int, 10),
        "password_resets_per_5min": (int, 25),
    },
    "retention": {"finished_days": ((int, float), 14)},
    "map": {"tiles": (str, ""), "attribution": (str, "")},
    "database": {"url": (str, ""), "pool_size": (int, 10)},
    "logging": {"level": (str, "info"), "format": (str, "text"), "access": (bool, False)},
    "metrics": {"allow": (list, ["127.0.0.1", "::1"])},
}


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, expected: str, got: object = _MISSING) -> ConfigError:
        where = (
            f"{self.path.name}: [{key.split('.')[0]}] {key.split('.', 1)[1]}"
            if "." in key
            else f"{self.path.name}: {key}"
        )
        tail = "" if got is _MISSING else f", got {got!r}"
        return ConfigError(f"{where}: expected {expected}{tail}")


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", int: "an integer", list: "a list"}
    if t == (int, float):
        return "a number"
    return names[t] if isinstance(t, type) else " or ".join(names[x] for x in t)


def load_config(path: Path) -> Config:
    """Read and check `path`; raise ConfigError naming the key and what was expected."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (run `fedishare init` to write one)") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: expected UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path.name}: not valid TOML: {e}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    c = _Checker(path)
    values: dict[str, dict[str, Any]] = {}
    for section in data:
        if section not in _SCHEMA:
            known = ", ".join(f"[{s}]" for s in _SCHEMA)
            raise ConfigError(
                f"{path.name}: [{section}]: unknown section (expected one of {known})"
            )
        if not isinstance(data[section], dict):
            raise ConfigError(f"{path.name}: {section}: expected a [{section}] table")
    for section, keys in _SCHEMA.items():
        given = data.get(section, {})
        for key in given:
            if key not in keys:
                known = ", ".join(keys)
                raise ConfigError(
                    f"{path.name}: [{section}] {key}: unknown key (expected one of {known})"
                )
        out: dict[str, Any] = {}
        for key, (typ, default) in keys.items():
            if key not in given:
                if default is _MISSING:
                    raise c.fail(f"{section}.{key}", f"{_type_name(typ)}; it is required")
                out[key] = default
                continue
            value = given[key]
            # bool is an int in Python; keep them apart so `port = true` is refused.
            if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
                raise c.fail(f"{section}.{key}", _type_name(typ), value)
            out[key] = value
        values[section] = out

    inst = values["instance"]
    scheme = inst["scheme"]
    if scheme not in ("https", "http"):
        raise c.fail("instance.scheme", '"https" or "http"', scheme)
    insecure = inst["allow_insecure"]
    if scheme == "http" and not insecure:
        raise c.fail("instance.scheme", '"https" (plain http needs allow_insecure = true)', scheme)
    domain = inst["domain"].strip().lower()
    host, port = _split_host_port(domain, c, "instance.domain")
    if _is_loopback(host) and not insecure:
        raise c.fail(
            "instance.domain", "a public domain name (loopback needs allow_insecure = true)", domain
        )
    listen_host, listen_port = _split_host_port(inst["listen"], c, "instance.listen")
    if listen_port is None:
        raise c.fail("instance.listen", '"HOST:PORT", e.g. "127.0.0.1:8080"', inst["listen"])
    database = Path(inst["database"])
    if not database.is_absolute():
        database = path.resolve().parent / database
    if port is not None and port == 0:
        raise c.fail("instance.domain", "a port between 1 and 65535", domain)
    media = Path(inst["media"])
    if not media.is_absolute():
        media = path.resolve().parent / media
    for proxy in inst["trusted_proxies"]:
        if not isinstance(proxy, str) or not _is_network(proxy):
            raise c.fail("instance.trusted_proxies", "a list of IP addresses or networks", proxy)
    if inst["max_database_mb"] < 0:
        raise c.fail(
            "instance.max_database_mb", "0 (no limit) or a number of MB", inst["max_database_mb"]
        )

    com = values["community"]
    handle = com["handle"]
    if not _USERNAME.match(handle) or len(handle) > 30:
        raise c.fail(
            "community.handle",
            "letters, digits and _ (with . or - between them), at most 30",
            handle,
        )
    rules = com["rules"]
    if not all(isinstance(r, str) for r in rules):
        raise c.fail("community.rules", "a list of strings", rules)
    latitude, longitude = com["latitude"], com["longitude"]
    if latitude is not None and not -90 <= latitude <= 90:
        raise c.fail("community.latitude", "degrees between -90 and 90", latitude)
    if longitude is not None and not -180 <= longitude <= 180:
        raise c.fail("community.longitude", "degrees between -180 and 180", longitude)
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise c.fail(f"community.{missing}", "a number: latitude and longitude go together")

    policy = values["registration"]["policy"]
    if policy not in REGISTRATION_POLICIES:
        raise c.fail(
            "registration.policy", " or ".join(f'"{p}"' for p in REGISTRATION_POLICIES), policy
        )

    fed = values["federation"]
    for key in ("allow", "block", "reject_reports"):
        for item in fed[key]:
            if not isinstance(item, str) or not _HOSTNAME.match(item.lower().strip()):
                raise c.fail(f"federation.{key}", "a list of domain names", item)
    radius_km = fed["radius_km"]
    if radius_km < 0:
        raise c.fail("federation.radius_km", "kilometres, 0 or more (0: no limit)", radius_km)
    if radius_km > 0 and latitude is None:
        raise c.fail(
            "federation.radius_km",
            "0 unless [community] latitude and longitude give the centre",
            radius_km,
        )

    private_hosts = tuple(_private_host(item, c) for item in fed["private_hosts"])

    lim = values["limits"]
    for key, value in lim.items():
        if value <= 0:
            raise c.fail(f"limits.{key}", "a positive integer", value)
    if lim["delivery_per_host"] > lim["delivery_concurrency"]:
        raise c.fail(
            "limits.delivery_per_host",
            "at most limits.delivery_concurrency",
            lim["delivery_per_host"],
        )

    finished_days = values["retention"]["finished_days"]
    if not (math.isfinite(finished_days) and finished_days >= MIN_FINISHED_DAYS):
        raise c.fail(
            "retention.finished_days",
            f"a number of days, at least {MIN_FINISHED_DAYS} (redelivered activities are"
            " recognised by their finished rows)",
            finished_days,
        )

    db_settings = _database_settings(values["database"], inst, database, path, c)
    if db_settings.is_sqlite:
        database = Path(db_settings.url.removeprefix("sqlite:///"))
    return Config(
        path=path,
        instance=InstanceSettings(
            domain=domain,
            scheme=scheme,
            allow_insecure=insecure,
            listen_host=listen_host,
            listen_port=listen_port,
            database=database,
            media=media,
            trusted_proxies=tuple(inst["trusted_proxies"]),
            max_database_mb=inst["max_database_mb"],
        ),
        community=CommunitySettings(
            handle=handle,
            name=com["name"],
            description=com["description"],
            rules=tuple(rules),
            latitude=None if latitude is None else float(latitude),
            longitude=None if longitude is None else float(longitude),
        ),
        registration=policy,
        federation=FederationSettings(
            allow=tuple(d.lower().strip() for d in fed["allow"]),
            block=tuple(d.lower().strip() for d in fed["block"]),
            radius_km=float(radius_km),
            secure_mode=fed["secure_mode"],
            private_hosts=private_hosts,
            reject_reports=tuple(d.lower().strip() for d in fed["reject_reports"]),
        ),
        limits=LimitSettings(**lim),
        retention=RetentionSettings(finished_days=float(finished_days)),
        map=_map_settings(values["map"], c),
        logging=_logging_settings(values["logging"], c),
        metrics=_metrics_settings(values["metrics"], c),
        database=db_settings,
    )


def _split_host_port(value: str, c: _Checker, key: str) -> tuple[str, int | None]:
    value = value.strip()
    host, sep, port_text = value.rpartition(":") if ":" in value else (value, "", "")
    if not sep:
        host = value
    port: int | None = None
    if sep:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise c.fail(key, "HOST or HOST:PORT with a port between 1 and 65535", value)
        port = int(port_text)
    if not host or not (_HOSTNAME.match(host.lower()) or _is_ip(host)):
        raise c.fail(key, "a host name or IP address (no scheme, no path)", value)
    return host, port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _private_host(value: object, c: _Checker) -> tuple[str, int | None]:
    """One [federation] private_hosts entry: HOST, HOST:PORT, [IPV6] or [IPV6]:PORT."""
    expected = 'a list of "HOST" or "HOST:PORT" (IPv6 in brackets: "[::1]:8080")'
    if not isinstance(value, str):
        raise c.fail("federation.private_hosts", expected, value)
    text = value.strip().lower()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
        if not bracket or (rest and (not rest.startswith(":") or not port_text)):
            raise c.fail("federation.private_hosts", expected, value)
    elif text.count(":") > 1:
        host, port_text = text, ""  # a bare IPv6 address
    else:
        host, _, port_text = text.partition(":")
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise c.fail("federation.private_hosts", expected, value)
    if _is_ip(host):
        host = str(ipaddress.ip_address(host))
    elif not _HOSTNAME.match(host):
        raise c.fail("federation.private_hosts", expected, value)
    return host, int(port_text) if port_text else None


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _logging_settings(values: dict[str, Any], c: _Checker) -> LoggingSettings:
    level, format_ = values["level"].strip().lower(), values["format"].strip().lower()
    if level not in LOG_LEVELS:
        raise c.fail("logging.level", " or ".join(f'"{x}"' for x in LOG_LEVELS), values["level"])
    if format_ not in LOG_FORMATS:
        raise c.fail("logging.format", '"text" or "json"', values["format"])
    return LoggingSettings(level=level, format=format_, access=values["access"])


def _metrics_settings(values: dict[str, Any], c: _Checker) -> MetricsSettings:
    for item in values["allow"]:
        if not isinstance(item, str) or not _is_network(item):
            raise c.fail("metrics.allow", "a list of IP addresses or networks", item)
    return MetricsSettings(allow=tuple(values["allow"]))


def _database_settings(
    values: dict[str, Any], inst: dict[str, Any], sqlite_file: Path, path: Path, c: _Checker
) -> DatabaseSettings:
    """[database] url, or else [instance] database (a SQLite file, the older key)."""
    url = values["url"].strip()
    pool_size = values["pool_size"]
    if not 1 <= pool_size <= 1000:
        raise c.fail("database.pool_size", "a number of connections from 1 to 1000", pool_size)
    if not url:
        return DatabaseSettings("sqlite:///" + str(sqlite_file), pool_size)
    if inst["database"] != _SCHEMA["instance"]["database"][1]:
        raise c.fail(
            "database.url", "no [instance] database beside it (give one or the other)", url
        )
    expected = '"sqlite:///PATH" (relative to this file) or "postgresql://USER@HOST/NAME"'
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        if not parts.hostname and "host=" not in parts.query:
            raise c.fail("database.url", expected, url)
        if not parts.path.strip("/"):
            raise c.fail("database.url", f"{expected}, with the database's NAME", url)
        return DatabaseSettings(url, pool_size)
    if url.startswith("sqlite:///") and url.removeprefix("sqlite:///").strip():
        file = Path(url.removeprefix("sqlite:///"))
        if not file.is_absolute():
            file = path.resolve().parent / file
        return DatabaseSettings("sqlite:///" + str(file), pool_size)
    raise c.fail("database.url", expected, url)


def _map_settings(values: dict[str, Any], c: _Checker) -> MapSettings:
    tiles = values["tiles"].strip()
    if tiles and not (
        tiles.startswith(("https://", "http://"))
        and all(part in tiles for part in ("{z}", "{x}", "{y}"))
    ):
        raise c.fail("map.tiles", 'an http(s) URL with {z}, {x} and {y} in it, or ""', tiles)
    return MapSettings(tiles=tiles, attribution=values["attribution"].strip())


def default_config_text(domain: str = "127.0.0.1:8080", *, insecure: bool = True) -> str:
    """The commented instance.toml that `init` and a first `serve` write."""
    port = domain.partition(":")[2]
    listen = f"127.0.0.1:{port or '8080'}"
    scheme = "http" if insecure else "https"
    # A plain-http instance is one tried out locally: let it reach its neighbours on loopback.
    private_hosts = '["127.0.0.1", "localhost", "[::1]"]' if insecure else "[]"
    return _TEMPLATE.format(
        domain=domain,
        scheme=scheme,
        insecure="true" if insecure else "false",
        listen=listen,
        private_hosts=private_hosts,
    )


_TEMPLATE = """\
# fedishare instance configuration.
# Every key is optional except [instance] domain; the values shown are the defaults.

[instance]
# The name people use to reach this instance: members are @name@DOMAIN.
# Add :PORT only when the instance is reached on a non-standard port.
domain = "{domain}"
# "https" in production. "http" (and loopback domains like 127.0.0.1) are refused
# unless allow_insecure = true, which is meant for local use and tests only.
scheme = "{scheme}"
allow_insecure = {insecure}
# Where `fedishare serve` listens (put a TLS-terminating proxy in front in production).
listen = "{listen}"
# The embedded SQLite database, created on first start; relative to this file.
database = "fedishare.sqlite3"
# The database's largest size in MB (0: as large as the disk allows). Past it, writes are
# refused as on a full disk (503 with Retry-After; nothing half-written) until space is
# freed, so that the database never fills a disk the machine needs for anything else.
max_database_mb = 0
# Photos (members' uploads, and other servers' listing photos cached here); relative to
# this file.
media = "media"
# Proxies in front of fedishare (addresses or networks, e.g. "10.0.0.0/8") whose
# X-Forwarded-For header names the client; rate limits count that client's address.
# Requests from loopback without a trusted proxy's header are never rate-limited.
trusted_proxies = ["127.0.0.1", "::1"]

[community]
# The neighbourhood's own account: people follow @HANDLE@DOMAIN to see its listings.
handle = "community"
name = "Our neighbourhood"
description = "Neighbours sharing things, help and a place to stay."
rules = [
  "Be kind and keep your word.",
  "Give places as a neighbourhood, never a street address.",
]
# The neighbourhood's centre in degrees (give both, or neither), e.g. 51.50 and -0.12.
# latitude = 51.50
# longitude = -0.12

[registration]
# "open", "approval" (an operator approves each member) or "closed".
policy = "approval"

[federation]
# If allow is non-empty, only these domains (and their subdomains) may federate with us.
allow = []
# These domains (and their subdomains) are refused.
block = []
# Keep other servers' listings within this many km of [community] latitude/longitude
# (those farther away are left out of searches); 0 means no limit.
radius_km = 0
# Secure mode (Mastodon's "authorized fetch"): other servers must sign every GET of our
# actors, posts, listings and collections, and a blocked server is refused them. The
# instance actor (/actor), WebFinger, NodeInfo and the web pages stay public.
secure_mode = false
# Hosts that fetches and deliveries may reach although their addresses are loopback or
# private (10.x, 192.168.x, fc00::/7, ...): others are refused, so that no peer can make
# this server reach itself or its network. "HOST" or "HOST:PORT", IPv6 as "[::1]". Only
# for instances on one machine or network; keep it empty on a public server.
private_hosts = {private_hosts}
# Reports from these domains (and their subdomains) are dropped, for a server whose
# reports flood the admins but that you would rather not block.
reject_reports = []

[limits]
max_body_bytes = 1048576         # largest inbox or API request body
max_fetch_bytes = 1048576        # largest document fetched from another server
max_listing_chars = 5000         # longest listing description
inbox_requests_per_minute = 600  # per remote host
delivery_concurrency = 50        # outgoing deliveries in flight
delivery_per_host = 8            # of which to one host
max_upload_bytes = 10485760      # largest photo a member may upload
# Per client address (IPv6: per /64) or API token; a request over a limit is answered
# 429 with Retry-After. Each limit refills evenly over its period.
api_requests_per_5min = 300      # /api/ calls per token, or per address without one
requests_per_address_per_5min = 7500  # every page and API call from one address
inbox_requests_per_address_per_minute = 3000  # inbox POSTs from one address, any server
logins_per_5min = 25             # log-in forms and OAuth token requests, per address
signups_per_30min = 10           # sign-up and invite forms, per address
password_resets_per_5min = 25    # password reset forms, per address

[retention]
# Finished queue rows (processed or failed inbox activities, ended deliveries) are deleted
# this many days after they finished. At least 3: the inbox recognises an activity that is
# delivered again (Mastodon retries for about two days) by its finished row.
finished_days = 14

[map]
# The board's map view: a tile URL template with {{z}}, {{x}} and {{y}} (and {{s}} for
# subdomains), and the credit its provider asks for. Empty: the board shows the list only.
# tiles = "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
# attribution = "© OpenStreetMap contributors"
tiles = ""
attribution = ""

[database]
# Where the data lives. Unset: the SQLite file of [instance] database (embedded, no server).
# A large instance, run as several `serve` and `work` processes, uses a PostgreSQL server:
# url = "postgresql://fedishare@db.internal:5432/fedishare"
# (then leave [instance] database out; `fedishare export` and `import` move the data).
# Connections each process keeps to PostgreSQL.
pool_size = 10

[logging]
# Every process (serve, work, the commands) logs to stderr: "debug", "info", "warning" or
# "error", as "text" (time, level, source, request or job id, message) or "json" (one
# object a line: time, level, logger, message, request_id or job_id, exception).
level = "info"
format = "text"
# A line per HTTP request (`fedishare serve --access-log` turns it on too).
access = false

[metrics]
# Addresses or networks that may read /metrics (Prometheus' text format); others get 403.
# Behind a proxy, the client is the address named by a trusted proxy ([instance]).
allow = ["127.0.0.1", "::1"]
"""
