"""Media items: what their URLs may be, what an IIIF Image API URL says, and the rules of an item.

The schema (``schema.MEDIA``) declares a media item's fields; the checks here are its own rules,
which a field's type cannot say:

- a URL is ``http`` or ``https``, with a host, without spaces or credentials: a ``javascript:``,
  ``data:`` or ``file:`` URL would run code or read files on the machine of whoever opens it;
- an IIIF Image API URL is recognised — an image request ``{base}/{region}/{size}/{rotation}/
  {quality}.{format}`` or an image information document ``{base}/info.json``, where ``{base}`` is
  ``{scheme}://{server}{/prefix}/{identifier}`` — so that clients can build any size they need; a
  request whose region and quality say IIIF is refused if its size, rotation or format is not
  valid (a typo there would otherwise fail only in the reader's browser);
- an item's ``kind`` follows from its ``media_type`` (``image/…`` is an image), or is an image for
  an IIIF URL, when it is left out; the two must agree;
- an image has a text alternative (``alt``) in at least one language (WCAG 1.1.1);
- a record lists a file (a URL) once.

Nothing here imports the schema: the schema imports these checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
# IIIF Image API 2.1 and 3.0 (https://iiif.io/api/image/3.0/#4-image-requests); "native" is 1.1's default.
IIIF_QUALITIES = ("default", "color", "gray", "bitonal", "native")
IIIF_FORMATS = ("jpg", "tif", "png", "gif", "jp2", "pdf", "webp")
_NUM = r"\d+(?:\.\d+)?"
IIIF_REGION = re.compile(rf"full|square|\d+,\d+,\d+,\d+|pct:{_NUM},{_NUM},{_NUM},{_NUM}")
# 2.1's full, w,h and !w,h, and 3.0's max and ^ (upscaling) prefix.
IIIF_SIZE = re.compile(rf"\^?(?:full|max|\d+,|,\d+|!?\d+,\d+|pct:{_NUM})")
IIIF_ROTATION = re.compile(rf"!?{_NUM}")
IIIF_INFO = "info.json"
THUMBNAIL_WIDTH = 400
# The media type's first part names the kind; any other (application/pdf) is a document.
_KIND_OF_TYPE = {"image": "image", "audio": "audio", "video": "video"}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Iiif:
    """An IIIF Image API URL, read: the image service's base URI and the identifier in it."""

    base: str
    identifier: str

    @property
    def info(self) -> str:
        return f"{self.base}/{IIIF_INFO}"

    def thumbnail(self, width: int = THUMBNAIL_WIDTH) -> str:
        """The whole image at ``width`` pixels (height in proportion): valid in versions 2 and 3."""
        return f"{self.base}/full/{width},/0/default.jpg"


def iiif_of(url: str) -> Iiif | None:
    """The IIIF Image API service a URL belongs to, or None when it is not an IIIF Image API URL."""
    found, problem = _read_iiif(url)
    return found if problem is None else None


def _read_iiif(url: str) -> tuple[Iiif | None, str | None]:
    """(the service, None) for an IIIF URL; (None, why) for one that says IIIF but is not valid; (None, None)
    for any other URL."""
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return None, None
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == IIIF_INFO:
        head = segments[:-1]
    elif len(segments) >= 5 and _says_iiif(segments[-4], segments[-1]):
        head = segments[:-4]
        size, rotation, last = segments[-3:]
        fmt = last.partition(".")[2]
        for what, value, form in (("size", size, IIIF_SIZE), ("rotation", rotation, IIIF_ROTATION)):
            if not form.fullmatch(value):
                return None, f"the IIIF Image API request's {what} {_show(value)} is not valid (see " \
                             "https://iiif.io/api/image/3.0/#4-image-requests)"
        if fmt not in IIIF_FORMATS:
            return None, f"the IIIF Image API request's format {_show(fmt)} is not one of {', '.join(IIIF_FORMATS)}"
    else:
        return None, None
    if not head or not all(head):
        return None, "an IIIF Image API URL names its image: {scheme}://{server}{/prefix}/{identifier}/…"
    base = f"{parts.scheme}://{parts.netloc}/{'/'.join(head)}"
    return Iiif(base=base, identifier=head[-1]), None


def _says_iiif(region: str, last: str) -> bool:
    """A region and a ``{quality}.{format}`` segment of the Image API: the URL means IIIF."""
    quality, dot, _ = last.partition(".")
    return bool(dot) and quality in IIIF_QUALITIES and IIIF_REGION.fullmatch(region) is not None


def check_url(value: str, path: str, errors: list[str]) -> str | None:
    """An http(s) URL with a host, without spaces, control characters or credentials; a URL that says
    IIIF must be a valid IIIF Image API URL."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        errors.append(f"{path}: {_show(value)} has spaces or control characters; percent-encode them")
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        errors.append(f"{path}: {_show(value)} is not a URL")
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        said = f"not {scheme}:" if scheme else "this one has no scheme"
        errors.append(f"{path}: {_show(value)} is not allowed; allowed: http:// and https:// URLs ({said})")
        return None
    if not host:
        errors.append(f"{path}: {_show(value)} has no host; expected http(s)://host/path")
        return None
    if parts.username is not None or parts.password is not None:
        errors.append(f"{path}: {_show(value)} carries a user name or password; give a URL without them")
        return None
    _, problem = _read_iiif(value)
    if problem is not None:
        errors.append(f"{path}: {problem}")
        return None
    return value


def kind_of(item: dict[str, Any]) -> str | None:
    """What the item is, said or derived: its ``kind``, else from its ``media_type``, else image for an
    IIIF URL."""
    if item.get("kind"):
        return str(item["kind"])
    if item.get("media_type"):
        return _KIND_OF_TYPE.get(str(item["media_type"]).split("/")[0], "document")
    return "image" if iiif_of(str(item.get("url", ""))) else None


def check_items(items: list[dict[str, Any]], path: str, errors: list[str]) -> list[dict[str, Any]] | None:
    """The rules of each item and of the list, on items whose fields passed their own checks; each item
    gets its ``kind`` when it follows from the rest (so that it is stored, exported and shown)."""
    out: list[dict[str, Any]] = []
    first: dict[str, int] = {}
    count = len(errors)
    for i, item in enumerate(items):
        at = f"{path}[{i}]"
        url = item.get("url")
        if url is None:
            errors.append(f"{at}.url: required, the http(s) URL of the file")
            continue
        if url in first:
            errors.append(f"{at}.url: the same file as {path}[{first[url]}]; list a file once")
        first.setdefault(url, i)
        kind = kind_of(item)
        if kind is None:
            errors.append(f"{at}.kind: required when neither media_type nor an IIIF URL says it; allowed values: "
                          "image, audio, video, document")
            continue
        said = kind_of({"media_type": item["media_type"]}) if item.get("media_type") else kind
        if said != kind:
            errors.append(f"{at}.media_type: {_show(item['media_type'])} is not of the kind {kind}")
        if kind != "image" and iiif_of(url):
            errors.append(f"{at}.kind: an IIIF Image API URL is an image, not {_show(kind)}")
        if kind == "image" and not item.get("alt"):
            errors.append(f"{at}.alt: required for an image: its text alternative in at least one language, for "
                          "readers who cannot see it")
        out.append({**item, "kind": kind})
    return out if len(errors) == count else None
