"""Wire benchmark: bytes on the wire for every page, for a whole test, and load times on 2G.

1. Every page of tests/conftest.py (PAGE_CASES, each visitor brought to the page's state
   with enter_state/resolve): the compressed HTML (`Accept-Encoding: br, gzip`, the site's
   own compression) plus every asset it loads (stylesheet, icons, and what the stylesheet
   loads) on a first visit, and the HTML alone on a repeat visit (assets cached).
2. A whole test: every question page, every answer posted, and the results, compressed; and
   the same test listened to: every recording its pages offer (home, start page, each
   question, the pause page if shown, the results) fetched once, and the size of every
   question's recording in each language (from the built recordings).
3. Headless Chromium with DevTools network emulation (280 kbit/s down and up, 800 ms round
   trip): navigationStart → loadEventEnd of home, a question page, results and a place
   search, served by gunicorn in production mode; and, from one small static server, the
   same question page as a snapshot with Repère's stylesheet and with the full DSFR
   stylesheet (`@gouvfr/dsfr` from npm, installed in a temporary folder: dist/dsfr.min.css
   and the Marianne fonts and icons it references).

Run: ``.venv/bin/python -m bench.wire`` (writes docs/wire-benchmark.md; about 3 minutes).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "wire-benchmark.md"
ENCODING = {"Accept-Encoding": "br, gzip"}
KBPS = 280
RTT_MS = 800
ONE_ROUND_TRIP = 14_600


def decode(response) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    return data


ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
AUDIO_RE = re.compile(r'<audio [^>]*src="(/ecouter/[^"]+)"')
CSS_URL_RE = re.compile(r"url\(\s*['\"]?(/static/[^'\")]+)")


def assets_of(client, html: str) -> dict[str, int]:
    """Every asset a page loads (and what stylesheets load): compressed bytes each."""
    found: dict[str, int] = {}
    todo = list(dict.fromkeys(ASSET_RE.findall(html)))
    while todo:
        url = todo.pop(0)
        if url in found:
            continue
        response = client.get(url, headers=ENCODING)
        found[url] = len(response.get_data())
        if url.split("?")[0].endswith(".css"):
            todo += CSS_URL_RE.findall(decode(response).decode("utf-8", "replace"))
    return found


def page_sizes(log) -> tuple[list[dict], dict]:
    import tests.conftest as conftest

    app = conftest.make_test_app(Path(tempfile.mkdtemp(prefix="repere-wire-")))
    rows = []
    for case in conftest.PAGE_CASES:
        if case.url.startswith("/_test/"):
            continue
        client = app.test_client()
        values = conftest.enter_state(client, case.state)
        response = client.get(conftest.resolve(case.url, values), headers=ENCODING)
        html = decode(response).decode("utf-8", "replace")
        assets = assets_of(client, html)
        rows.append(
            {
                "name": case.name,
                "url": case.url,
                "status": response.status_code,
                "html": len(response.get_data()),
                "raw": len(decode(response)),
                "assets": sum(assets.values()),
                "asset_list": assets,
                "encoding": response.headers.get("Content-Encoding", "none"),
            }
        )
    log(f"{len(rows)} pages measured")
    whole = whole_test(app)
    whole["recordings"] = recording_sizes(app)
    return rows, whole


def whole_test(app) -> dict:
    """Bytes of a whole test: home, intro, every question page and POST, the results."""
    from app.assessment.bank import load_bank
    from tests.flow import right_answer

    bank = load_bank()
    client = app.test_client()
    total = {"requests": 0, "received": 0, "sent": 0, "questions": 0, "audio": 0, "heard": 0}

    def get(path: str) -> str:
        r = client.get(path, headers=ENCODING)
        total["requests"] += 1
        total["received"] += len(r.get_data())
        html = decode(r).decode("utf-8", "replace")
        listen = AUDIO_RE.search(html)
        if listen:  # the person presses play: the whole file comes down
            total["audio"] += len(client.get(listen.group(1), headers=ENCODING).get_data())
            total["heard"] += 1
        return html

    def post(path: str, data: dict) -> str:
        from urllib.parse import urlencode, urlsplit

        r = client.post(path, data=data, headers=ENCODING)
        total["requests"] += 1
        total["received"] += len(r.get_data())
        total["sent"] += len(urlencode(data, doseq=True))
        return urlsplit(r.headers.get("Location", path)).path

    from bench.common import answer_form, csrf_token, item_on_page

    home = get("/")
    total["first_visit_assets"] = sum(assets_of(client, home).values())
    html = get("/test")
    path = post("/test", {"csrf_token": csrf_token(html)})
    for _ in range(40):
        if path == "/resultats":
            break
        html = get(path)
        if path == "/test/pause":
            path = re.search(r'href="(/test/question/\d+)"', html).group(1)
            continue
        item = bank.get(item_on_page(html))
        path = post(path, answer_form(html, right_answer(item)))
        total["questions"] += 1
    get("/resultats")
    return total


def recording_sizes(app) -> dict[str, list[int]]:
    """Bytes of every question's recording, by language."""
    from pathlib import Path as _Path

    from app.audio.library import read_manifest

    sizes: dict[str, list[int]] = {}
    for (locale, key), recording in read_manifest(_Path(app.config["AUDIO_DIR"])).items():
        if key.startswith("items/"):
            sizes.setdefault(locale, []).append(recording.bytes)
    return {locale: sorted(values) for locale, values in sorted(sizes.items())}


class StaticHandler(SimpleHTTPRequestHandler):
    """Serves a folder, compressing text with brotli quality 5 as the site does."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path.split("?")[0]))
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        ctype = self.guess_type(str(path))
        headers = {"Content-Type": ctype, "Cache-Control": "public, max-age=3600"}
        if ctype.startswith("text/") or ctype in ("image/svg+xml", "application/javascript"):
            if "br" in self.headers.get("Accept-Encoding", ""):
                body = brotli.compress(body, quality=5)
                headers["Content-Encoding"] = "br"
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def chromium(folder: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={folder}",
    ):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def timed_load(driver, url: str, cold: bool) -> dict:
    if cold:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(url)
    for _ in range(200):
        done = driver.execute_script("return performance.timing.loadEventEnd")
        if done:
            break
        time.sleep(0.05)
    return driver.execute_script(
        "const t = performance.timing;"
        "const r = performance.getEntriesByType('resource');"
        "const n = performance.getEntriesByType('navigation')[0];"
        "return {ms: t.loadEventEnd - t.navigationStart,"
        " bytes: (n ? n.transferSize : 0) + r.reduce((s, e) => s + e.transferSize, 0),"
        " resources: r.map(e => e.name.split('/').pop() + ':' + e.transferSize)};"
    )


def browser_times(log) -> tuple[list[dict], str]:
    from bench.common import Visitor, gunicorn, prepare_database, production_env, walk_test

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="repere-wire-live-") as folder:
        base = Path(folder)
        env = production_env(f"sqlite:///{base / 'repere.sqlite3'}")
        env["REPERE_INSTANCE_PATH"] = str(base)
        prepare_database(env)
        # DSFR from npm, into a temporary folder (not the project's package.json).
        npm = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(base / "npm"),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--ignore-scripts",
                "@gouvfr/dsfr",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        del npm
        dsfr_root = base / "npm" / "node_modules" / "@gouvfr" / "dsfr"
        dsfr_version = json.loads((dsfr_root / "package.json").read_text())["version"]
        site = base / "site"
        shutil.copytree(dsfr_root / "dist", site / "dsfr")
        with gunicorn(env) as port:
            live = f"http://127.0.0.1:{port}"
            mid = Visitor(port)
            question_path, _ = walk_test(mid, stop_after=3)
            done = Visitor(port)
            walk_test(done)
            # Snapshots of the question page for the static server.
            _, html = mid.get(question_path)
            (site / "static").mkdir(parents=True)
            for asset in set(ASSET_RE.findall(html)):
                _status, _, data = Visitor(port).request("GET", asset)
                target = site / asset.lstrip("/").split("?")[0]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            repere_html = re.sub(r'\?v=[^"]+', "", html)
            (site / "question-repere.html").write_text(repere_html, encoding="utf-8")
            dsfr_html = re.sub(
                r'<link rel="stylesheet"[^>]*>',
                '<link rel="stylesheet" href="/dsfr/dsfr.min.css">',
                html,
            )
            (site / "question-dsfr.html").write_text(dsfr_html, encoding="utf-8")
            handler = lambda *a, **k: StaticHandler(*a, directory=str(site), **k)  # noqa: E731
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            static = f"http://127.0.0.1:{server.server_address[1]}"
            driver = chromium(base / "chrome")
            try:
                driver.execute_cdp_cmd("Network.enable", {})
                for origin, visitor in ((live, mid),):
                    driver.get(origin + "/robots.txt")
                    for name, value in visitor.cookies.items():
                        driver.add_cookie({"name": name, "value": value, "path": "/"})
                pages = [
                    ("home `/`", live + "/", None),
                    (f"question `{question_path}`", live + question_path, mid),
                    ("results `/resultats`", live + "/resultats", done),
                    ("place search `/lieux?q=93200`", live + "/lieux?q=93200", None),
                    ("question snapshot, Repère stylesheet", static + "/question-repere.html", None),
                    (f"question snapshot, DSFR {dsfr_version} stylesheet", static + "/question-dsfr.html", None),
                ]  # fmt: skip
                driver.execute_cdp_cmd(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": RTT_MS,
                        "downloadThroughput": KBPS * 1000 / 8,
                        "uploadThroughput": KBPS * 1000 / 8,
                    },
                )
                for name, url, visitor in pages:
                    if visitor is not None:
                        driver.delete_all_cookies()
                        for k, v in visitor.cookies.items():
                            driver.add_cookie({"name": k, "value": v, "path": "/"})
                    cold = timed_load(driver, url, cold=True)
                    warm = timed_load(driver, url, cold=False)
                    rows.append({"name": name, "cold": cold, "warm": warm})
                    log(f"2G {name}: first {cold['ms']} ms ({cold['bytes']} B), "
                        f"repeat {warm['ms']} ms")  # fmt: skip
            finally:
                driver.quit()
                server.shutdown()
    return rows, dsfr_version


def report(rows, whole, browser, dsfr_version, wall) -> str:
    from bench.common import machine

    over = [r for r in rows if r["html"] + r["assets"] > ONE_ROUND_TRIP]
    first = [r["html"] + r["assets"] for r in rows]
    out = [
        "# Wire benchmark: bytes per page and load time on a 2G link",
        "",
        f"Written by `bench/wire.py` on {date.today().isoformat()}. Machine: {machine()}. "
        f"Whole run: {wall:.0f} s.",
        "",
        "## Every page: compressed bytes",
        "",
        "Each page of `tests/conftest.py` (`PAGE_CASES`, error pages left out), a new visitor "
        "brought to the page's state by `enter_state`, then `GET` with `Accept-Encoding: br, "
        "gzip` through the Flask test client: the body as sent (the site's own brotli), and "
        "every asset the page links to (`/static/…`, and what its stylesheet loads), each "
        "also as sent. First visit = HTML + assets; repeat visit = HTML only (assets are "
        "cached with a versioned URL). Bodies only: HTTP headers (≈ 300–500 bytes per "
        "response) are not counted.",
        "",
        f"{len(rows)} pages; first visit: median {sorted(first)[len(first) // 2]} B, largest "
        f"{max(first)} B; {len(over)} over the one-round-trip budget of {ONE_ROUND_TRIP} B.",
        "",
        "| page | URL | status | enc. | HTML raw | HTML sent | assets | first visit | repeat visit |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['name']} | `{r['url']}` | {r['status']} | {r['encoding']} | {r['raw']} "
            f"| {r['html']} | {r['assets']} | {r['html'] + r['assets']} | {r['html']} |"
        )
    assets = {}
    for r in rows:
        assets.update(r["asset_list"])
    out += [
        "",
        "Assets: " + ", ".join(f"`{k}` {v} B" for k, v in sorted(assets.items())) + ".",
        "",
        "## A whole test",
        "",
        f"Home, `/test`, start, {whole['questions']} questions answered rightly (each page and "
        f"each POST with its redirect), results: {whole['requests']} requests, "
        f"{whole['received']} bytes received (bodies, compressed) plus "
        f"{whole['first_visit_assets']} bytes of assets once, {whole['sent']} bytes of form "
        f"data sent: **{whole['received'] + whole['first_visit_assets']} bytes down** in all.",
        "",
        "## Listening",
        "",
        'Recordings are never part of a page\'s weight: the player has `preload="none"`, '
        "so a file comes down only when the person presses play (checked in headless "
        "Chromium by `tests/test_accessibility.py`). The same test as above, listening to "
        f"every page that offers a recording ({whole['heard']} pages: home, start page, each "
        f"question, results): **{whole['audio']} bytes of recordings**, "
        f"{whole['received'] + whole['first_visit_assets'] + whole['audio']} bytes down in all.",
        "",
        "One question's recording (MP3, 16 kHz mono, speech at 16 kbit/s, a long question "
        "fitted under 40 000 bytes at a lower average bit rate), by language:",
        "",
        "| language | questions | smallest | median | largest |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {locale} | {len(sizes)} | {sizes[0]} B | {sizes[len(sizes) // 2]} B "
            f"| {sizes[-1]} B |"
            for locale, sizes in whole["recordings"].items()
        ),
        "",
        f"## Load time on an emulated 2G link ({KBPS} kbit/s down and up, {RTT_MS} ms round trip)",
        "",
        "Headless Chromium, DevTools `Network.emulateNetworkConditions`; the time is "
        "`performance.timing` navigationStart → loadEventEnd; bytes are the navigation's and "
        "resources' `transferSize` (headers included). First visit: the browser cache "
        "cleared before; repeat: the same page again. The live pages come from gunicorn (app in "
        "production mode, SQLite); the two snapshots (the same question page's HTML, with "
        "Repère's stylesheet, and with the DSFR stylesheet in its place) from one small "
        "static server with brotli quality 5, so those two compare the stylesheets alone. "
        f"DSFR is `@gouvfr/dsfr` {dsfr_version} from npm: `dist/dsfr.min.css`, whose "
        "`body` uses the Marianne web fonts (the browser fetches the weights the page uses).",
        "",
        "| page | first visit ms | bytes | repeat visit ms | bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in browser:
        out.append(
            f"| {b['name']} | {b['cold']['ms']} | {b['cold']['bytes']} | {b['warm']['ms']} "
            f"| {b['warm']['bytes']} |"
        )
    if not browser:
        out.append("| not measured in this run (`--no-browser`) | | | | |")
    out += [""]
    for b in browser:
        if "DSFR" in b["name"]:
            out.append(
                f"DSFR snapshot, first visit, resources: {', '.join(b['cold']['resources'])}."
            )
    out += [
        "",
        "Chrome's emulation adds the latency to each response rather than per packet, "
        "so it approximates a real 2G link; the ratios between pages are what matter.",
        "",
        "## Rerun",
        "",
        "```sh",
        ".venv/bin/python -m bench.wire",
        "```",
        "",
        "Needs Debian `chromium` and `chromium-driver`, and npm with access to the registry "
        "(DSFR is installed into a temporary folder, never into the project).",
        "",
    ]
    return "\n".join(out)


def main(argv=None) -> int:
    from bench.common import log_to_stderr

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="bytes only: skip the 2G load times in Chromium (and the DSFR download)",
    )
    args = parser.parse_args(argv)
    log = log_to_stderr()
    started = time.perf_counter()
    rows, whole = page_sizes(log)
    browser, dsfr_version = ([], "") if args.no_browser else browser_times(log)
    args.out.write_text(
        report(rows, whole, browser, dsfr_version, time.perf_counter() - started),
        encoding="utf-8",
    )
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
