"""Know every page of the site, so that the quality gates check each new page.

A GET route is a page unless it is marked ``@not_a_page`` (a redirect, an asset).
A page whose URL takes arguments says how to build it with ``@page_examples``;
``iter_pages`` refuses a page that does not, so none slips past the tests. A page
that needs a person to be somewhere first (in a test, with results) names that
``state``; the tests know how to bring a visitor into each state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask

View = TypeVar("View", bound=Callable[..., Any])


class FromState(str):
    """An example argument that only exists once the visitor is in a state: the id of
    "the person" a staff member follows, say. The tests fill it in."""

    __slots__ = ()


def page_examples(
    *examples: dict[str, Any], states: tuple[str | None, ...] = (None,)
) -> Callable[[View], View]:
    """Give the URL arguments to build a page with (one dict per example), and the
    states of the visitor to check it in (None: a new visitor)."""

    def mark(view: View) -> View:
        view.page_examples = examples  # type: ignore[attr-defined]
        view.page_states = states  # type: ignore[attr-defined]
        return view

    return mark


def not_a_page(view: View) -> View:
    """Mark a GET route that answers with something other than an HTML page."""
    view.not_a_page = True  # type: ignore[attr-defined]
    return view


@dataclass(frozen=True)
class PageExample:
    endpoint: str
    arguments: dict[str, Any]
    state: str | None = None


class UndocumentedPage(LookupError):
    """A page takes URL arguments but says nothing of how to build it."""


def iter_pages(app: Flask) -> Iterator[PageExample]:
    """Every HTML page the app serves on GET, with example arguments, sorted by endpoint."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if "GET" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "not_a_page", False):
            continue
        examples = getattr(view, "page_examples", None)
        if examples is None:
            if rule.arguments:
                raise UndocumentedPage(
                    f"{rule.endpoint} ({rule.rule}) takes arguments: add @page_examples(...)"
                )
            examples = ({},)
        states = getattr(view, "page_states", (None,))
        for arguments in examples:
            for state in states:
                yield PageExample(rule.endpoint, dict(arguments), state)
