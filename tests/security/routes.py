"""Every URL pattern of the project, discovered from Django's resolver, and a way to turn each
into a concrete URL. Used by the isolation walker (test_isolation.py); nothing here is a list of
routes, so a route someone adds is walked without anyone touching the security tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP_START = re.compile(r"\(\?P<(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern with the patterns of the includes above it."""

    pieces: tuple  # RoutePattern / RegexPattern objects, outermost first
    name: str  # "namespace:name", or "" for an unnamed pattern
    callback: Callable

    @property
    def template(self) -> str:
        return "/" + "".join(str(piece) for piece in self.pieces)

    @property
    def kind(self) -> str:
        """api (DRF, token or session), admin (staff only) or page (session login)."""
        first = str(self.pieces[0])
        if first.startswith("api/"):
            return "api"
        if first.startswith("admin/"):
            return "admin"
        return "page"

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """(name, converter) of every path parameter; the converter of a regex group is "regex"."""
        found = []
        for piece in self.pieces:
            if isinstance(piece, RoutePattern):
                found += [(m["name"], m["converter"] or "str") for m in _ROUTE_PARAM.finditer(str(piece))]
            elif isinstance(piece, RegexPattern):
                found += [(m["name"], "regex") for m in _REGEX_GROUP_START.finditer(str(piece))]
            else:
                raise TypeError(f"{self.template}: unknown pattern type {type(piece).__name__}")
        return found

    def url(self, values: dict[str, str]) -> str:
        """The route with `values` in its parameters, checked to resolve back to this route."""
        url = "/" + "".join(_fill(piece, values) for piece in self.pieces)
        match = resolve(url)
        if match.func is not self.callback:
            raise AssertionError(f"{url} (built from {self.template}) resolves to {match.route!r}, not to this route")
        return url

    def __str__(self) -> str:
        return self.template


def project_routes() -> list[Route]:
    """Every URL pattern of ROOT_URLCONF, through every include."""
    return list(_walk(get_resolver().url_patterns, (), ()))


def _walk(patterns, pieces: tuple, namespaces: tuple) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = (entry.namespace,) if entry.namespace else ()
            yield from _walk(entry.url_patterns, (*pieces, entry.pattern), namespaces + namespace)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else ""
            yield Route(pieces=(*pieces, entry.pattern), name=name, callback=entry.callback)
        else:
            raise TypeError(f"unknown URL entry {entry!r}")


def regex_group_choices(piece_regex: str, name: str) -> list[str]:
    """The literal alternatives of a named group like (?P<app_label>auth|chunks), else []."""
    body = _group_body(piece_regex, name)
    if body is not None and re.fullmatch(r"[\w|-]+", body):
        return body.split("|")
    return []


def regex_of(route: Route, name: str) -> str:
    """The regex text of the piece that holds the named group."""
    for piece in route.pieces:
        if isinstance(piece, RegexPattern) and f"(?P<{name}>" in str(piece):
            return str(piece)
    raise KeyError(name)


def _fill(piece, values: dict[str, str]) -> str:
    text = str(piece)
    if isinstance(piece, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: values[m["name"]], text)
    # a regex: put the values in its named groups, drop anchors, unescape what is left
    for match in list(_REGEX_GROUP_START.finditer(text))[::-1]:
        name = match["name"]
        body = _group_body(text, name)
        end = match.end() + len(body) + 1
        text = text[: match.start()] + values[name] + text[end:]
    text = text.removeprefix("^").removesuffix("$")
    text = re.sub(r"\\(.)", r"\1", text)
    if re.search(r"[()\[\]*+?|]", text):
        raise AssertionError(f"cannot build a URL from the regex {piece!s}: unhandled syntax in {text!r}")
    return text


def _group_body(text: str, name: str) -> str | None:
    """The text inside the named group (balanced parentheses), or None if it is not there."""
    start = text.find(f"(?P<{name}>")
    if start < 0:
        return None
    index, depth = start + len(f"(?P<{name}>"), 1
    body_start = index
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[body_start:index]
        index += 1
    raise AssertionError(f"unbalanced group {name} in {text}")
