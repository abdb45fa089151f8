"""SIP digest authentication (RFC 2617 as SIP uses it): MD5, ``qop=auth`` or none.

Rule 1: a 401 is answered with Authorization, a 407 with Proxy-Authorization, computed
from the challenge, the request's method and URI and the trunk's credentials; the
password never leaves this module except inside the digest.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from lexdial.adapters.telephony.sip_message import Message
from lexdial.adapters.telephony.sip_trunk import Trunk


def digest(
    challenge: str, *, method: str, uri: str, username: str, password: str, nc: int = 1
) -> str:
    """The Authorization value answering a ``WWW-Authenticate``/``Proxy-Authenticate``."""
    params = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', challenge)}
    realm, nonce = params.get("realm", ""), params.get("nonce", "")

    def md5(s: str) -> str:
        return hashlib.md5(s.encode(), usedforsecurity=False).hexdigest()

    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    qop = "auth" if "auth" in [q.strip() for q in params.get("qop", "").split(",")] else ""
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if qop:
        cnonce, count = secrets.token_hex(8), f"{nc:08x}"
        response = md5(f"{ha1}:{nonce}:{count}:{cnonce}:{qop}:{ha2}")
        parts += [f"qop={qop}", f"nc={count}", f'cnonce="{cnonce}"']
    else:
        response = md5(f"{ha1}:{nonce}:{ha2}")
    parts += [f'response="{response}"', "algorithm=MD5"]
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


def authorization(challenge: Message, method: str, uri: str, trunk: Trunk) -> str:
    """The header line answering a 401/407 ``challenge`` to ``method`` on ``uri``."""
    proxy = challenge.status == 407
    header = challenge.get("proxy-authenticate" if proxy else "www-authenticate") or ""
    value = digest(
        header, method=method, uri=uri,
        username=trunk.auth_username or "", password=trunk.auth_password or "",
    )  # fmt: skip
    return f"{'Proxy-Authorization' if proxy else 'Authorization'}: {value}"
