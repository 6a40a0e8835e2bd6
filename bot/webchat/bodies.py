"""What the client API accepts: one pydantic model per request body or query, read through
one helper, so every malformed request is a 400 (or a 413) with a message that says what is
wrong, and nothing malformed reaches the store.

Ids and sequence numbers are `Integer` columns (32 bits on PostgreSQL), so they are bounded by
`ID_MAX`; numbers must be finite; text must be valid Unicode (no lone surrogates)."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

ID_MAX = 2**31 - 1
JSON_LIMIT = 256 * 1024  # a JSON body: a 4096-character text escaped is at most ~50 KB
EVENTS_TIMEOUT_MAX = 30.0
BODY_TOO_LARGE = "the request body is too large (256 KB at most for JSON)"


class BadRequest(Exception):
    """A request the client API refuses: answered as {"error", "code"} with the status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def unicode_text(value: str) -> str:
    """Refuse lone surrogates (JSON can carry "\\ud800"): they cannot be stored or measured."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("must be valid Unicode text (it has a lone surrogate)") from error
    return value


Text = Annotated[str, AfterValidator(unicode_text)]


def _short(limit: int, *, min_length: int = 0) -> Any:
    return Annotated[
        Text,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=limit),
    ]


class Body(BaseModel):
    """Strict types: "false" is not a boolean, "3" is not a number, an object is not text."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class NewUser(Body):
    first_name: _short(64, min_length=1)  # type: ignore[valid-type]
    last_name: _short(64) | None = None  # type: ignore[valid-type]
    username: _short(32) | None = None  # type: ignore[valid-type]
    language_code: _short(16) | None = None  # type: ignore[valid-type]
    profile: _short(32) | None = None  # type: ignore[valid-type]


class Contact(Body):
    phone_number: _short(32, min_length=1)  # type: ignore[valid-type]


class Location(Body):
    latitude: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Send(Body):
    """One of: text, a contact, a location (a file comes as multipart instead)."""

    text: Text | None = None
    contact: Contact | None = None
    location: Location | None = None


class Press(Body):
    message_id: Annotated[int, Field(ge=1, le=ID_MAX)]
    data: Text


class Block(Body):
    blocked: bool = True


class EventsQuery(BaseModel):
    """Query strings are text, so numbers are parsed from it; still finite and in range."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    after: Annotated[int, Field(ge=0, le=ID_MAX)] = 0
    timeout: Annotated[float, Field(ge=0, le=EVENTS_TIMEOUT_MAX, allow_inf_nan=False)] = 0.0


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any) -> M:
    """The model, or a 400 naming the first field that is wrong and why."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        message = first["msg"].removeprefix("Value error, ")
        raise BadRequest(400, f"{where}: {message}", "bad_request") from None


async def json_object(request: web.Request, too_large: str = "too_large") -> dict[str, Any]:
    """The body as a JSON object: at most JSON_LIMIT bytes (else 413 with the code
    `too_large`, which the page translates), UTF-8, any nesting depth refused cleanly, NaN
    and Infinity refused (they are not JSON)."""
    if request.content_length is not None and request.content_length > JSON_LIMIT:
        raise BadRequest(413, BODY_TOO_LARGE, too_large)
    raw = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        raw += chunk
        if len(raw) > JSON_LIMIT:
            raise BadRequest(413, BODY_TOO_LARGE, too_large)
    try:
        body = json.loads(bytes(raw).decode("utf-8"), parse_constant=_not_json)
    except RecursionError:
        raise BadRequest(400, "the body is nested too deeply", "bad_request") from None
    except ValueError:  # not UTF-8, not JSON, or NaN/Infinity
        raise BadRequest(400, "the body is not valid JSON", "bad_request") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object", "bad_request")
    return body


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
