"""What every page of Repère must be, checked on its HTML alone.

Each function raises AssertionError with a message that says what to fix.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import html5lib

RTL = {"ar"}
ERROR_PREFIX = {"fr": "Erreur :", "en": "Error:", "ar": "خطأ:"}
LABELLED_INPUTS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "image", "reset"}


def parse(html: str) -> ET.Element:
    """Parse as HTML5, refusing any parse error (html5lib strict mode)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        return parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line = _error_line(html, parser)
        raise AssertionError(f"invalid HTML5: {error} near: {line!r}") from error


def _error_line(html: str, parser: html5lib.HTMLParser) -> str:
    if parser.errors:
        (line, _col), *_ = parser.errors[0]
        lines = html.splitlines()
        if 0 < line <= len(lines):
            return lines[line - 1][:120]
    return ""


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def check_page(html: str, locale: str) -> ET.Element:
    """Every rule of the quality gate that needs only the HTML."""
    root = parse(html)
    check_language(root, locale)
    check_headings(root, locale)
    check_ids(root)
    check_labels(root)
    check_forms(root)
    check_no_script_or_inline_style(root)
    check_local_assets(root)
    check_media_waits_for_the_person(root)
    check_css_off_order(root)
    check_ways_to_navigate(root)
    return root


#: The site menu at the foot of every page: with the site map, two ways to reach any page
#: (RGAA 12.1).
SITE_MENU = ("/test", "/parcours", "/lieux", "/mes-donnees")


def check_ways_to_navigate(root: ET.Element) -> None:
    footer = root.find(".//footer")
    assert footer is not None, "no <footer>"
    links = {a.get("href") for a in footer.iter("a")}
    assert "/plan-du-site" in links, "the footer has no link to the site map"
    menus = [
        nav
        for nav in footer.iter("nav")
        if {a.get("href") for a in nav.iter("a")} >= set(SITE_MENU)
    ]
    assert menus, f"the footer has no site menu linking {SITE_MENU}"


def check_language(root: ET.Element, locale: str) -> None:
    assert root.get("lang") == locale, f"<html lang> is {root.get('lang')!r}, not {locale!r}"
    expected = "rtl" if locale in RTL else "ltr"
    assert root.get("dir") == expected, f"<html dir> is {root.get('dir')!r}, not {expected!r}"


def check_headings(root: ET.Element, locale: str) -> None:
    h1s = root.findall(".//h1")
    assert len(h1s) == 1, f"{len(h1s)} <h1> on the page, want exactly 1"
    h1 = text_of(h1s[0])
    assert h1, "the <h1> is empty"
    title_element = root.find("./head/title")
    assert title_element is not None, "no <title>"
    title = text_of(title_element)
    if root.find(".//*[@class='error-summary']") is not None:
        prefix = ERROR_PREFIX[locale]
        assert title.startswith(prefix), f"title {title!r} must start with {prefix!r}"
        title = title.removeprefix(prefix).strip()
    assert title.startswith(h1), f"title {title!r} does not start with the <h1> {h1!r}"


def check_ids(root: ET.Element) -> None:
    seen: set[str] = set()
    for element in root.iter():
        element_id = element.get("id")
        if element_id is None:
            continue
        assert element_id not in seen, f"duplicate id {element_id!r}"
        seen.add(element_id)


def check_labels(root: ET.Element) -> None:
    parents = {child: parent for parent in root.iter() for child in parent}
    labelled = {label.get("for") for label in root.iter("label") if label.get("for")}
    ids = {element.get("id") for element in root.iter()}
    for element in root.iter():
        if element.tag not in LABELLED_INPUTS:
            continue
        if element.tag == "input" and element.get("type", "text") in UNLABELLED_INPUT_TYPES:
            continue
        if element.get("id") in labelled or element.get("aria-label"):
            continue
        if element.get("aria-labelledby") and all(
            ref in ids for ref in element.get("aria-labelledby", "").split()
        ):
            continue
        ancestor = parents.get(element)
        while ancestor is not None and ancestor.tag != "label":
            ancestor = parents.get(ancestor)
        assert ancestor is not None, f"<{element.tag} name={element.get('name')!r}> has no label"
    for label_for in labelled:
        assert label_for in ids, f"<label for={label_for!r}> points to no element"


def check_forms(root: ET.Element) -> None:
    for form in root.iter("form"):
        action, method = form.get("action"), (form.get("method") or "").lower()
        assert action, "a <form> has no action"
        assert method in {"get", "post"}, f"form {action!r} has method {method!r}"
        if method == "post":
            tokens = [
                field
                for field in form.iter("input")
                if field.get("name") == "csrf_token" and field.get("type") == "hidden"
            ]
            assert tokens and tokens[0].get("value"), f"POST form {action!r} has no CSRF token"


def check_no_script_or_inline_style(root: ET.Element) -> None:
    for element in root.iter():
        assert element.tag not in {"script", "style"}, f"<{element.tag}> is not allowed"
        assert "style" not in element.attrib, f"style attribute on <{element.tag}>"
        events = [name for name in element.attrib if name.lower().startswith("on")]
        assert not events, f"event handler {events} on <{element.tag}>"


INLINE_PICTURE = "data:image/svg+xml,"


MEDIA = {"audio", "video"}


def _on_request(root: ET.Element) -> set[ET.Element]:
    """Media (and their <source>) that the browser fetches only when the person presses play."""
    waiting: set[ET.Element] = set()
    for media in root.iter():
        if media.tag in MEDIA and media.get("preload") == "none":
            waiting.add(media)
            waiting.update(media.iter("source"))
    return waiting


def asset_urls(root: ET.Element, *, inline: bool = False, media: bool = False) -> list[str]:
    """What the browser loads by itself for this page (not the links a person follows, nor
    recordings with ``preload="none"``, fetched only when the person asks; ``media`` keeps them).

    Pictures inlined in the page (data: URLs) are part of the HTML; ``inline`` keeps them.
    """
    waiting = set() if media else _on_request(root)
    urls = [
        element.get("src", "")
        for element in root.iter()
        if element.get("src") and element not in waiting
    ]
    urls += [link.get("href", "") for link in root.iter("link") if link.get("href")]
    urls += [element.get("srcset", "") for element in root.iter() if element.get("srcset")]
    return [url for url in urls if inline or not url.startswith(INLINE_PICTURE)]


def check_local_assets(root: ET.Element) -> None:
    for url in asset_urls(root, inline=True, media=True):
        if url.startswith(INLINE_PICTURE):
            assert "<script" not in url.lower() and "%3cscript" not in url.lower()
            continue
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), (
            f"asset {url!r} is not served by Repère itself"
        )


def check_media_waits_for_the_person(root: ET.Element) -> None:
    """A recording costs nothing until the person asks for it: it has the browser's controls,
    ``preload="none"``, no autoplay, a name for screen readers, and a plain link to the file
    inside for a browser without a player."""
    for media in root.iter():
        if media.tag not in MEDIA:
            continue
        assert media.get("preload") == "none", f'<{media.tag}> without preload="none"'
        assert "controls" in media.attrib, f"<{media.tag}> without controls"
        assert "autoplay" not in media.attrib, f"<{media.tag}> must not play by itself"
        assert media.get("aria-label"), f"<{media.tag}> has no name for screen readers"
        links = [a.get("href") for a in media.iter("a")]
        assert media.get("src") in links, f"<{media.tag}> has no link to its file inside"


def check_css_off_order(root: ET.Element) -> None:
    """Without CSS a page reads top to bottom: skip link, short header, then the content."""
    body = root.find("body")
    assert body is not None
    tags = [(child.tag, child.get("class"), child.get("id")) for child in body]
    assert [tag for tag, _, _ in tags] == ["a", "header", "main", "footer"], (
        f"the body must hold skip link, header, main, footer in that order, not {tags}"
    )
    skip = body[0]
    assert skip.get("href") == "#contenu" and body[2].get("id") == "contenu"
    header_words = len(text_of(body[1]).split())
    assert header_words <= 8, f"the header has {header_words} words before the content"


def read(html: str) -> ET.Element:
    """Parse leniently, to read what a person sees."""
    return html5lib.parse(html, namespaceHTMLElements=False)


def h1_of(html: str) -> str:
    h1 = read(html).find(".//h1")
    return text_of(h1) if h1 is not None else ""


def title_of(html: str) -> str:
    title = read(html).find("./head/title")
    return text_of(title) if title is not None else ""


def main_text(html: str) -> str:
    main = read(html).find(".//main")
    return text_of(main) if main is not None else ""
