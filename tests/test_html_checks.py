"""The page checks themselves catch what they are meant to catch."""

from __future__ import annotations

import pytest

from .html_checks import check_page

GOOD = """<!doctype html>
<html lang="fr" dir="ltr"><head><meta charset="utf-8"><title>Titre – Repère</title>
<link rel="stylesheet" href="/static/repere.css"></head>
<body><a href="#contenu">Aller au contenu</a><header><a href="/">Repère</a></header>
<main id="contenu"><h1>Titre</h1>
<form action="/revenir" method="post"><input type="hidden" name="csrf_token" value="t">
<label for="code">Code</label><input id="code" name="code"></form></main>
<footer><nav aria-label="Menu du site"><ul><li><a href="/test">Mesurer</a></li>
<li><a href="/parcours">Parcours</a></li><li><a href="/lieux">Lieux</a></li>
<li><a href="/mes-donnees">Mes données</a></li></ul></nav>
<a href="/plan-du-site">Plan du site</a></footer></body></html>"""


def test_a_good_page_passes() -> None:
    check_page(GOOD, "fr")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('lang="fr"', 'lang="en"', "lang"),
        ('dir="ltr"', 'dir="rtl"', "dir"),
        ("<h1>Titre</h1>", "<h1>Titre</h1><h1>Autre</h1>", "<h1>"),
        ("<title>Titre", "<title>Autre", "does not start"),
        ('<main id="contenu">', '<main id="contenu"><p id="code">x</p>', "duplicate id"),
        ('<label for="code">Code</label>', "", "no label"),
        ('<input type="hidden" name="csrf_token" value="t">', "", "CSRF"),
        ('action="/revenir" ', "", "no action"),
        ("<h1>Titre</h1>", "<h1>Titre</h1><script>x()</script>", "script"),
        ("<h1>Titre</h1>", '<h1 style="color:red">Titre</h1>', "style"),
        ('href="/static/repere.css"', 'href="https://cdn.example/x.css"', "not served"),
        ("</header>", "</header><nav>menu</nav>", "order"),
        ("<h1>Titre</h1>", "<h1>Titre</h1><p>unclosed <b>", "invalid HTML5"),
        ('<a href="/lieux">Lieux</a>', "", "site menu"),
        ('<a href="/plan-du-site">Plan du site</a>', "", "site map"),
    ],
)
def test_a_bad_page_fails(old: str, new: str, message: str) -> None:
    bad = GOOD.replace(old, new, 1)
    assert bad != GOOD
    with pytest.raises(AssertionError, match=message):
        check_page(bad, "fr")


def test_error_pages_need_the_error_prefix_in_the_title() -> None:
    with_summary = GOOD.replace(
        "<h1>Titre</h1>", '<div class="error-summary">x</div><h1>Titre</h1>'
    )
    with pytest.raises(AssertionError, match="Erreur"):
        check_page(with_summary, "fr")
    check_page(with_summary.replace("<title>", "<title>Erreur : "), "fr")
