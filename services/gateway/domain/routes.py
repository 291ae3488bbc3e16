"""HTTP routes from google.api.http path templates: parsing, matching a request path, and collisions.

A template is "/" segments [":" verb]; a segment is a literal or a variable "{field.path}" that takes one
segment ("{field.path=*}" is the same) or, as the last segment, "{field.path=**}" that takes the rest.
When several templates match a path, the most specific wins: at the first segment where they differ, a
literal beats a one-segment variable, which beats a rest variable. Two templates of one HTTP method that
no path could tell apart are a collision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Generic, TypeVar
from urllib.parse import unquote

Target = TypeVar("Target")

_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_LITERAL = re.compile(r"[A-Za-z0-9_.~\-]+")


class TemplateError(ValueError):
    """A path template the gateway cannot route."""


class RouteCollision(ValueError):
    """Two routes that no request could tell apart."""


class SegmentKind(IntEnum):
    """Ordered from the most specific down."""

    LITERAL = 0
    ONE = 1
    REST = 2


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    literal: str = ""
    variable: str = ""


@dataclass(frozen=True)
class PathTemplate:
    text: str
    segments: tuple[Segment, ...]
    verb: str

    @property
    def variables(self) -> tuple[str, ...]:
        """The field paths the template binds, in order."""
        return tuple(segment.variable for segment in self.segments if segment.kind != SegmentKind.LITERAL)

    @property
    def shape(self) -> tuple[tuple[SegmentKind, str], ...]:
        """What the template matches, whatever its variables are called."""
        return (
            *((segment.kind, segment.literal) for segment in self.segments),
            (SegmentKind.LITERAL, self.verb),
        )

    def match(self, path: RequestPath) -> dict[str, str] | None:
        """The variables' values, percent-decoded, if the path matches."""
        parts, verb = (path.parts, path.verb) if self.verb else (path.whole, "")
        if verb != self.verb:
            return None
        rest = self.segments[-1].kind == SegmentKind.REST
        if len(parts) != len(self.segments) and not (rest and len(parts) >= len(self.segments)):
            return None
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            part = parts[index]
            if segment.kind == SegmentKind.LITERAL:
                if part != segment.literal:
                    return None
            elif not part:
                return None
            elif segment.kind == SegmentKind.ONE:
                values[segment.variable] = unquote(part)
            else:
                taken = parts[index:]
                if not all(taken):
                    return None
                values[segment.variable] = "/".join(unquote(item) for item in taken)
        return values

    def openapi_path(self) -> str:
        """The template as an OpenAPI path: each variable a parameter named by its field path."""
        parts = [
            segment.literal if segment.kind == SegmentKind.LITERAL else f"{{{segment.variable}}}"
            for segment in self.segments
        ]
        return "/" + "/".join(parts) + (f":{self.verb}" if self.verb else "")


def parse_template(text: str) -> PathTemplate:
    """Raises TemplateError saying what is wrong with `text`."""
    if not text.startswith("/") or text == "/":
        raise TemplateError(f"{text!r} must start with / and name at least one segment")
    body, verb = _split_verb(text[1:])
    if verb and not _LITERAL.fullmatch(verb):
        raise TemplateError(f"{text!r} has a malformed verb {verb!r}")
    segments = tuple(_segment(text, raw) for raw in body.split("/"))
    if any(segment.kind == SegmentKind.REST for segment in segments[:-1]):
        raise TemplateError(f"{text!r} has a ** variable before its last segment")
    variables = [segment.variable for segment in segments if segment.variable]
    if len(set(variables)) != len(variables):
        raise TemplateError(f"{text!r} binds a field twice")
    return PathTemplate(text, segments, verb)


@dataclass(frozen=True)
class RequestPath:
    """A request's path split into segments, still percent-encoded: whole, and with the last segment's
    ":verb" apart (a template without a verb matches a value holding a colon)."""

    whole: list[str]
    parts: list[str]
    verb: str

    @classmethod
    def of(cls, raw_path: str) -> RequestPath:
        whole = raw_path[1:].split("/") if raw_path.startswith("/") else [raw_path]
        last, colon, verb = whole[-1].rpartition(":")
        if not colon:
            return cls(whole, whole, "")
        return cls(whole, [*whole[:-1], last], verb)


def _split_verb(body: str) -> tuple[str, str]:
    last_slash = body.rfind("/")
    closing = body.rfind("}")
    colon = body.rfind(":")
    if colon > max(last_slash, closing):
        return body[:colon], body[colon + 1 :]
    return body, ""


def _segment(text: str, raw: str) -> Segment:
    if raw.startswith("{") and raw.endswith("}"):
        variable, _, pattern = raw[1:-1].partition("=")
        if not _FIELD_PATH.fullmatch(variable):
            raise TemplateError(f"{text!r} has a malformed variable {raw!r}")
        if pattern in ("", "*"):
            return Segment(SegmentKind.ONE, variable=variable)
        if pattern == "**":
            return Segment(SegmentKind.REST, variable=variable)
        raise TemplateError(
            f"{text!r}: the gateway routes variables of one segment or of the rest, not {raw!r}"
        )
    if not _LITERAL.fullmatch(raw):
        raise TemplateError(f"{text!r} has a segment the gateway cannot route: {raw!r}")
    return Segment(SegmentKind.LITERAL, literal=raw)


@dataclass(frozen=True)
class Route(Generic[Target]):
    method: str
    template: PathTemplate
    target: Target


@dataclass(frozen=True)
class Match(Generic[Target]):
    route: Route[Target]
    values: dict[str, str]


@dataclass
class Router(Generic[Target]):
    """Routes by HTTP method; a path matched under other methods only tells which are allowed."""

    routes: dict[str, list[Route[Target]]] = field(default_factory=dict)

    def add(self, method: str, template: PathTemplate, target: Target) -> None:
        """Raises RouteCollision naming both targets when `template` cannot be told from a route's."""
        routes = self.routes.setdefault(method.upper(), [])
        for route in routes:
            if route.template.shape == template.shape:
                raise RouteCollision(
                    f"{method.upper()} {template.text} ({target}) collides with "
                    f"{route.method} {route.template.text} ({route.target})"
                )
        routes.append(Route(method.upper(), template, target))

    def all(self) -> Iterable[Route[Target]]:
        for routes in self.routes.values():
            yield from routes

    def match(self, method: str, raw_path: str) -> Match[Target] | None:
        path = RequestPath.of(raw_path)
        found = [
            Match(route, values)
            for route in self.routes.get(method.upper(), ())
            if (values := route.template.match(path)) is not None
        ]
        if not found:
            return None
        return min(found, key=lambda match: _specificity(match.route.template))

    def allowed_methods(self, raw_path: str) -> list[str]:
        """The methods under which some route matches the path."""
        path = RequestPath.of(raw_path)
        return sorted(
            method
            for method, routes in self.routes.items()
            if any(route.template.match(path) is not None for route in routes)
        )


def _specificity(template: PathTemplate) -> tuple[int, ...]:
    """Smaller is more specific: a verb first, then segment by segment."""
    return (0 if template.verb else 1, *(segment.kind for segment in template.segments))
