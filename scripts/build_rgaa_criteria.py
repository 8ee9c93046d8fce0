"""Write app/rgaa/criteria.json from the official list of RGAA criteria.

Usage: python scripts/build_rgaa_criteria.py criteres.json COMMIT

``criteres.json`` is RGAA/criteres.json of https://github.com/DISIC/accessibilite.numerique.gouv.fr
at ``COMMIT`` (the RGAA in force, published by DINUM under the Licence Ouverte 2.0). The
criteria's titles are kept word for word; only the Markdown links to the glossary become
plain text, and their WCAG references are kept. The tests of each criterion stay in the
official source (their address is in the file).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "app" / "rgaa" / "criteria.json"
REPOSITORY = "https://github.com/DISIC/accessibilite.numerique.gouv.fr"
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def plain(text: str) -> str:
    """The text of a title without its Markdown links (their text stays)."""
    return " ".join(LINK.sub(r"\1", text).replace("`", "").split())


def build(source: dict, commit: str) -> dict:
    themes = []
    criteria = []
    for topic in source["topics"]:
        themes.append({"number": topic["number"], "title": topic["topic"]})
        for entry in topic["criteria"]:
            criterion = entry["criterium"]
            wcag = [ref for refs in criterion.get("references", []) for ref in refs.get("wcag", [])]
            criteria.append(
                {
                    "id": f"{topic['number']}.{criterion['number']}",
                    "title": plain(criterion["title"]),
                    "wcag": wcag,
                }
            )
    return {
        "name": "RGAA",
        "version": "4.1.2",
        "source": f"{REPOSITORY}/blob/{commit}/RGAA/criteres.json",
        "commit": commit,
        "publisher": "DINUM (Direction interministérielle du numérique)",
        "licence": "Licence Ouverte / Open Licence 2.0 (etalab-2.0)",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "changes": "Titles word for word; Markdown links to the glossary made plain text; "
        "tests and techniques left out (see the source).",
        "themes": themes,
        "criteria": criteria,
    }


def main() -> None:
    source_path, commit = sys.argv[1], sys.argv[2]
    data = build(json.loads(Path(source_path).read_text(encoding="utf-8")), commit)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(data['criteria'])} criteria in {len(data['themes'])} themes → {OUT}")


if __name__ == "__main__":
    main()
