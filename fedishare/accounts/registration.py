"""Becoming a member: sign-up under the instance's policy (`open`: at once; `approval`: a
request an admin decides; `closed`: by invite only), invite links, the first admin, and the
password-reset links an admin makes (an instance may have no mail server).

Invite and reset codes are random and shown once; only their SHA-256 is stored, as for
session cookies: a code has far too much entropy to be guessed from its hash.
"""

from __future__ import annotations

import hashlib
import secrets

from fedishare.accounts.members import AccountError, Claim, check_username, create_member
from fedishare.accounts.passwords import account_failures, check_rules, hash_password, matches
from fedishare.context import Instance
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound
from fedishare.storage import actors, invites, login_failures, reset_links, signups, web_sessions
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction
from fedishare.storage.invites import Invite
from fedishare.storage.signups import SignupRequest

INVITE_DAYS = 7
RESET_HOURS = 24
MAX_REASON = 1_000
ROLES = ("member", "admin")


def _new_code() -> tuple[str, str]:
    code = secrets.token_urlsafe(24)
    return code, _hash(code)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def invite_url(inst: Instance, code: str) -> str:
    return f"{inst.urls.base}/invite/{code}"


def reset_url(inst: Instance, code: str) -> str:
    return f"{inst.urls.base}/reset/{code}"


async def check_new_name(inst: Instance, username: str) -> None:
    """Refuse a name that breaks the rules, is a member's (a deleted one's included, for
    good), or is asked for by a pending request."""
    try:
        check_username(username)
    except AccountError as e:
        raise Invalid(f"username: {e}") from None
    if await actors.find_by_username(inst.db, username) is not None:
        raise Invalid(f"username: the name {username!r} is taken")
    request = await signups.find_by_username(inst.db, username)
    if request is not None and request.state == "pending":
        raise Invalid(f"username: someone has asked for the name {username!r} already")


async def _create(
    inst: Instance, username: str, password_hash: str, role: str, claim: Claim | None
) -> LocalActor:
    try:
        return await create_member(
            inst.db, inst.clock, username, password_hash=password_hash, role=role, claim=claim
        )
    except AccountError as e:  # taken meanwhile
        raise Invalid(f"username: {e}") from None


async def sign_up(inst: Instance, username: str, password: str, reason: str) -> LocalActor | None:
    """Sign up under the instance's policy: the new member (`open`), or None when the request
    now waits for an admin (`approval`). Forbidden when sign-ups are closed."""
    policy = inst.config.registration
    if policy == "closed":
        raise Forbidden("sign-ups are closed here; an admin can send you an invite link")
    username = username.strip()
    await check_new_name(inst, username)
    check_rules(password)
    reason = reason.strip()
    if policy == "approval":
        if not reason:
            raise Invalid("reason: say a few words about why you would like to join")
        if len(reason) > MAX_REASON:
            raise Invalid(f"reason: at most {MAX_REASON} characters")
    hashed = await hash_password(password)
    if policy == "open":
        return await _create(inst, username, hashed, "member", None)
    async with inst.db.transaction() as tx:
        await signups.insert(tx, username, hashed, reason, inst.clock().timestamp())
    return None


async def waiting_for_approval(inst: Instance, username: str, password: str) -> bool:
    """Whether a log-in failed because its name and password are a request still waiting
    for an admin (so that the page can say so, to the applicant only)."""
    name = username.strip().removeprefix("@").split("@")[0]
    request = await signups.find_by_username(inst.db, name) if name else None
    if request is None or request.state != "pending":
        return False
    return await matches(request.password_hash, password)


async def pending_requests(inst: Instance) -> list[SignupRequest]:
    return await signups.pending(inst.db)


async def _pending(inst: Instance, request_id: int) -> SignupRequest:
    request = await signups.get(inst.db, request_id)
    if request is None:
        raise NotFound("no such sign-up request")
    if request.state != "pending":
        raise Conflict(f"this request was {request.state} already")
    return request


async def approve(inst: Instance, request_id: int) -> LocalActor:
    """Make the member a pending request asked for, with the password they chose."""
    request = await _pending(inst, request_id)
    now = inst.clock().timestamp()

    async def decided(tx: Transaction, actor_id: int) -> None:
        if not await signups.decide(tx, request.id, "approved", now):
            raise Conflict("this request was decided already")

    try:
        return await create_member(
            inst.db,
            inst.clock,
            request.username,
            password_hash=request.password_hash,
            claim=decided,
        )
    except AccountError as e:
        raise Conflict(f"cannot approve: {e}") from None


async def refuse(inst: Instance, request_id: int) -> None:
    request = await _pending(inst, request_id)
    async with inst.db.transaction() as tx:
        if not await signups.decide(tx, request.id, "rejected", inst.clock().timestamp()):
            raise Conflict("this request was decided already")


async def make_invite(inst: Instance, creator: LocalActor | None, role: str = "member") -> str:
    """A new invite code (shown once; valid INVITE_DAYS)."""
    if role not in ROLES:
        raise Invalid(f"role: one of {', '.join(ROLES)}")
    code, code_hash = _new_code()
    now = inst.clock().timestamp()
    invite = Invite(
        code_hash, role, None if creator is None else creator.id, now, now + INVITE_DAYS * 86_400
    )
    async with inst.db.transaction() as tx:
        await invites.insert(tx, invite)
    return code


async def usable_invite(inst: Instance, code: str) -> Invite:
    invite = await invites.usable(inst.db, _hash(code), inst.clock().timestamp())
    if invite is None or (
        # The start-up invite (made by nobody) is for the first admin only: once an admin
        # exists, anyone who read the server's log must not become another.
        invite.role == "admin"
        and invite.created_by is None
        and await actors.count_admins(inst.db) > 0
    ):
        raise NotFound("this invite link does not work: it was used already, or has expired")
    return invite


async def outstanding_invites(inst: Instance) -> list[Invite]:
    return await invites.outstanding(inst.db, inst.clock().timestamp())


async def accept_invite(inst: Instance, code: str, username: str, password: str) -> LocalActor:
    """The member an invite makes, whatever the sign-up policy; the invite is spent."""
    invite = await usable_invite(inst, code)
    username = username.strip()
    await check_new_name(inst, username)
    check_rules(password)
    hashed = await hash_password(password)
    now = inst.clock().timestamp()

    async def spent(tx: Transaction, actor_id: int) -> None:
        if not await invites.use(tx, invite.code_hash, actor_id, now):
            raise NotFound("this invite link does not work: it was used already, or has expired")

    return await _create(inst, username, hashed, invite.role, spent)


async def first_admin_invite(inst: Instance) -> str | None:
    """While no enabled admin exists: a fresh admin invite code (earlier unused admin
    invites stop working), for `fedishare serve` to print at start. None once there is one."""
    if await actors.count_admins(inst.db) > 0:
        return None
    async with inst.db.transaction() as tx:
        await invites.delete_unused(tx, "admin")
    return await make_invite(inst, None, "admin")


async def make_reset_link(inst: Instance, username: str) -> str:
    """A one-time code that sets a new password for the member (valid RESET_HOURS); an
    earlier unused one stops working."""
    member = await actors.find_by_username(inst.db, username)
    if member is None or member.kind != "person" or member.is_deleted:
        raise NotFound(f"no member named {username!r}")
    code, code_hash = _new_code()
    now = inst.clock().timestamp()
    async with inst.db.transaction() as tx:
        await reset_links.replace(tx, code_hash, member.id, now, now + RESET_HOURS * 3_600)
    return code


_RESET_GONE = "this reset link does not work: it was used already, or has expired"


async def reset_member(inst: Instance, code: str) -> LocalActor:
    """The member a usable reset code is for."""
    actor_id = await reset_links.usable(inst.db, _hash(code), inst.clock().timestamp())
    member = None if actor_id is None else await actors.find_by_id(inst.db, actor_id)
    if member is None or member.is_deleted:
        raise NotFound(_RESET_GONE)
    return member


async def reset_password(inst: Instance, code: str, password: str) -> LocalActor:
    """Set a new password with a reset code, which is then spent; every session of the
    member ends, and failed log-ins against the account are forgotten."""
    member = await reset_member(inst, code)
    check_rules(password)
    hashed = await hash_password(password)
    async with inst.db.transaction() as tx:
        if await reset_links.use(tx, _hash(code), inst.clock().timestamp()) != member.id:
            raise NotFound(_RESET_GONE)
        await actors.set_password_hash(tx, member.id, hashed)
        await web_sessions.delete_for_actor(tx, member.id)
        await login_failures.clear(tx, account_failures(member.username))
    return member
