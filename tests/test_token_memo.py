"""Remembered JWT decodes give the same answers as fresh ones: expiry and secret still count."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from litestar.exceptions import NotAuthorizedException

from api.security import RememberedToken, issue_token, make_jwt_auth


def test_remembered_decode_still_expires_and_checks_the_secret() -> None:
    auth = make_jwt_auth("s" * 48, 3600)
    token = issue_token(auth, uuid.uuid4(), "ann", ttl=dt.timedelta(seconds=1))
    first = RememberedToken.decode(token, auth.token_secret, auth.algorithm)
    assert RememberedToken.decode(token, auth.token_secret, auth.algorithm) is first
    with pytest.raises(NotAuthorizedException):
        RememberedToken.decode(token, "t" * 48, auth.algorithm)
    time.sleep(1.5)
    with pytest.raises(NotAuthorizedException):
        RememberedToken.decode(token, auth.token_secret, auth.algorithm)
