"""Listening: every question and the pages that matter have a fresh recording in every
language, that sounds right, is served by Repère and linked from its page."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from flask import Flask
from flask.testing import FlaskClient

from app.assessment.bank import DONT_KNOW, Bank, Item, count_words, load_bank
from app.audio import site_clips, sound
from app.audio.library import MANIFEST, MAX_BYTES, fresh_recordings, read_manifest
from app.audio.scripts import Clip, Piece
from app.config import LOCALES, PROJECT_ROOT
from app.i18n import LOCALE_COOKIE

from .conftest import get_page, make_test_app
from .flow import csrf_token, item_on_page, post_answer, right_answer
from .html_checks import check_page, main_text, read
from .recordings import audio_dir

#: Words a second a recording may say, by language: 40 words in 10 to 25 seconds (French
#: and English). Arabic joins articles and pronouns to words: fewer, longer words.
WORDS_PER_SECOND = {"fr": (1.6, 4.0), "en": (1.6, 4.0), "ar": (0.9, 2.6)}
LABELS = {
    "fr": "Écouter la question",
    "en": "Listen to the question",
    "ar": "استمع إلى السؤال",
}


@pytest.fixture(scope="module")
def clips() -> dict[tuple[str, str], Clip]:
    every = site_clips(load_bank(), LOCALES, PROJECT_ROOT / "translations")
    return {(clip.locale, clip.key): clip for clip in every}


def listen_url(html: str) -> str | None:
    """The recording a page offers, checking the plain link inside the player is the same."""
    audio = read(html).find(".//audio")
    if audio is None:
        return None
    link = audio.find("a")
    assert link is not None and link.get("href") == audio.get("src")
    return audio.get("src")


def recording_of(url: str) -> tuple[str, str]:
    """(language, clip key) of a served recording, from the manifest."""
    by_file = {r.file: where for where, r in read_manifest(audio_dir()).items()}
    return by_file[url.removeprefix("/ecouter/")]


# --------------------------------------------------------------------------- the files


def test_every_recording_is_there_and_reads_the_current_text(
    clips: dict[tuple[str, str], Clip],
) -> None:
    fresh = fresh_recordings(clips.values(), audio_dir())
    missing = sorted(set(clips) - set(fresh))
    assert not missing, f"missing or stale recordings (flask build-audio): {missing[:10]}"


#: A token the voice spells out rather than says as one word: a password, an address, a formula.
SPELLED = re.compile(r"\d|[@=/()]|\w\.\w|[a-z][A-Z]")
SPELLED_PARTS = re.compile(r"[A-Z]?[a-zà-ÿ]+|[A-Z]+(?![a-z])|\d|[@=/().:]")


def spoken_words(clip: Clip) -> int:
    """Words as the voice says them: « azertyuiop123456 » is one word on the page and seven
    said (a word, then six digits); « marie.dupont@mail.fr » is seven."""
    count = 0
    for piece in clip.pieces:
        for part in piece.parts:
            for token in part.split():
                if re.search(r"[A-Za-z]", token) and SPELLED.search(token):
                    count += len(SPELLED_PARTS.findall(token))
                else:
                    count += count_words(token)
    return count


def test_a_spelled_token_counts_as_the_words_the_voice_says() -> None:
    clip = Clip(
        "items/x",
        "fr",
        (Piece("items/x", ("Lequel : azertyuiop123456 ou marie.dupont@mail.fr ?",)),),
    )
    assert clip.words == 4
    assert spoken_words(clip) == 2 + 7 + 7


@pytest.mark.audio_files
def test_every_question_sounds_like_its_text(clips: dict[tuple[str, str], Clip]) -> None:
    """Each item, in each language: under 40 KB, 16 kHz mono MP3, as long as its words need,
    at the same loudness as the others, and speech most of the time (not silent)."""
    problems = []
    recordings = read_manifest(audio_dir())
    for (locale, key), clip in clips.items():
        if not key.startswith("items/"):
            continue
        data = (audio_dir() / recordings[(locale, key)].file).read_bytes()
        info = sound.mp3_info(data)
        low, high = WORDS_PER_SECOND[locale]
        decoded, rate = soundfile.read(io.BytesIO(data))
        blocks = decoded[: decoded.size // 800 * 800].reshape(-1, 800)  # 50 ms
        speaking = np.mean(np.sqrt(np.mean(blocks**2, axis=1)) > 10 ** (-40 / 20))
        level = sound.loudness(decoded, rate)
        where = f"{locale} {key}"
        if len(data) >= MAX_BYTES:
            problems.append(f"{where}: {len(data)} bytes")
        if (info.rate, info.mono, info.xing) != (16000, True, True):
            problems.append(f"{where}: {info}")
        words = spoken_words(clip)
        if not words / high <= info.seconds <= words / low:
            problems.append(f"{where}: {words} words said in {info.seconds:.1f} s")
        if abs(level - sound.TARGET_LOUDNESS) > 1.5:
            problems.append(f"{where}: loudness {level:.1f} LUFS")
        if speaking < 0.5:
            problems.append(f"{where}: speech only {speaking:.0%} of the time")
    assert not problems, "\n".join(problems)


def test_build_audio_check_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    built = make_test_app(tmp_path / "a").test_cli_runner()
    result = built.invoke(args=["build-audio", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 to make, 0 that cannot be made here" in result.output

    empty = make_test_app(tmp_path / "b", AUDIO_DIR=str(tmp_path / "audio")).test_cli_runner()
    result = empty.invoke(args=["build-audio", "--check"])
    assert result.exit_code == 1
    assert "stale: fr items/comm-missed-call: no recording yet" in result.output
    assert not (tmp_path / "audio").exists()


def test_build_audio_prints_the_script_for_human_voices(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["build-audio", "--script", "fr"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"# .*/recordings/fr/items/comm-missed-call\.[0-9a-f]{8}\.wav\n", result.output
    )
    assert "Réponse 2 : Dans la liste des appels\n" in result.output
    assert re.search(r"/recordings/fr/results/level-2\.[0-9a-f]{8}\.wav", result.output)
    assert app.test_cli_runner().invoke(args=["build-audio", "--script", "de"]).exit_code == 2


# --------------------------------------------------------------------------- serving


def test_a_recording_is_served_with_its_length_ranges_and_a_year_of_cache(
    client: FlaskClient,
) -> None:
    url = listen_url(get_page(client, "/", "fr").get_data(as_text=True))
    assert url is not None and re.fullmatch(r"/ecouter/[0-9a-f]{16}\.mp3", url)
    whole = client.get(url)
    data = (audio_dir() / url.rsplit("/", 1)[1]).read_bytes()
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Content-Type"] == "audio/mpeg"
    assert whole.headers["Content-Length"] == str(len(data))
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Cache-Control"] == "public, max-age=31536000, immutable, no-transform"
    assert "Content-Encoding" not in whole.headers and "Set-Cookie" not in whole.headers
    assert "media-src 'self'" in whole.headers["Content-Security-Policy"]

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part.headers["Content-Length"] == "100"
    assert client.get(url, headers={"Range": "bytes=-10"}).data == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data) + 5}-"}).status_code == 416
    etag = whole.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))

    for wrong in ("/ecouter/0000000000000000.mp3", "/ecouter/..%2Frecordings.json", "/ecouter/x"):
        assert client.get(wrong).status_code == 404, wrong


# --------------------------------------------------------------------------- the pages


def walk(client: FlaskClient, bank: Bank, strategy: Callable[[Item], object]) -> list[tuple]:
    """Take the whole test as a person who listens: (page, its recording) for each page."""
    heard = [("/", listen_url(client.get("/").get_data(as_text=True)))]
    intro = client.get("/test").get_data(as_text=True)
    heard.append(("/test", listen_url(intro)))
    path = client.post("/test", data={"csrf_token": csrf_token(intro)}).headers["Location"]
    for _step in range(40):
        html = client.get(path).get_data(as_text=True)
        heard.append((path, listen_url(html)))
        if path == "/resultats":
            return heard
        if path == "/test/pause":
            path = re.search(r'href="(/test/question/\d+)"', html).group(1)  # type: ignore[union-attr]
            continue
        item = bank.get(item_on_page(html))
        assert item is not None
        heard[-1] = (f"items/{item.id}", heard[-1][1])
        _status, path, _id = post_answer(client, path, strategy(item))  # type: ignore[arg-type]
    raise AssertionError("the test did not end")


@pytest.mark.parametrize(
    ("locale", "strategy"),
    [("fr", right_answer), ("en", lambda _item: DONT_KNOW), ("ar", right_answer)],
)
def test_a_person_can_take_the_whole_test_and_hear_every_page(
    app: Flask, locale: str, strategy: Callable[[Item], object]
) -> None:
    client = app.test_client()
    client.set_cookie(LOCALE_COOKIE, locale)
    heard = walk(client, load_bank(), strategy)
    for page, url in heard:
        assert url is not None, f"{page} [{locale}] has nothing to listen to"
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "audio/mpeg"
        heard_locale, key = recording_of(url)
        assert heard_locale == locale, page
        if page.startswith("items/"):
            assert key == page
    keys = [recording_of(url)[1] for _page, url in heard]
    assert keys[:2] == ["pages/home", "pages/test/start"]
    assert keys[-1].startswith("results/")
    if strategy is not right_answer:
        assert "pages/pause" in keys and keys[-1] == "results/0/basics"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("url", "state"),
    [
        ("/", None),
        ("/test", None),
        ("/test", "in-test"),
        ("/test", "finished"),
        ("/test/pause", "in-test"),
        ("/resultats", "finished"),
        ("/resultats", "needs-basics"),
    ],
)
def test_a_page_recording_says_what_the_page_says(
    client: FlaskClient,
    clips: dict[tuple[str, str], Clip],
    url: str,
    state: str | None,
    locale: str,
) -> None:
    html = get_page(client, url, locale, state).get_data(as_text=True)
    listen = listen_url(html)
    assert listen is not None
    clip = clips[recording_of(listen)]
    shown = " ".join(main_text(html).split())
    for part in (part for piece in clip.pieces for part in piece.parts):
        # A button is said « Bouton : Continuer le test »: its label is on the page.
        said = re.sub(r"^(Bouton|Button|زر) ?: ", "", part)
        assert " ".join(said.split()) in shown, f"{url} [{locale}] does not show {said!r}"


def test_no_recording_no_player_and_a_stale_one_is_never_linked(tmp_path: Path) -> None:
    folder = tmp_path / "audio"
    folder.mkdir()
    app = make_test_app(tmp_path, AUDIO_DIR=str(folder))
    client = app.test_client()
    html = get_page(client, "/_test/question/comm-missed-call", "fr").get_data(as_text=True)
    assert "<audio" not in html and "/ecouter/" not in html
    check_page(html, "fr")

    manifest = json.loads((audio_dir() / MANIFEST).read_text(encoding="utf-8"))
    for entry in manifest["recordings"]:
        if entry["key"] == "items/comm-missed-call" and entry["locale"] == "fr":
            entry["text"] = "0" * 16  # recorded for another text
        shutil.copy(audio_dir() / entry["file"], folder / entry["file"])
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    html = get_page(client, "/_test/question/comm-missed-call", "fr").get_data(as_text=True)
    assert "<audio" not in html
    assert "<audio" in get_page(client, "/_test/question/comm-missed-call", "en").get_data(
        as_text=True
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_question_player_is_named_for_screen_readers_and_waits(
    client: FlaskClient, locale: str
) -> None:
    html = get_page(client, "/_test/question/base-sms-code", locale).get_data(as_text=True)
    audio = read(html).find(".//audio")
    assert audio is not None
    assert audio.get("aria-label") == LABELS[locale] and audio.get("preload") == "none"
    link = audio.find("a")
    assert link is not None and link.text is not None and link.text.startswith(LABELS[locale])
    # Near the question: right before the form that holds it.
    assert html.index("<audio") < html.index("<form") < html.index("<h1")
    seconds = read_manifest(audio_dir())[(locale, "items/base-sms-code")].seconds
    assert f"{round(seconds)}" in link.text
    assert count_words(link.text) <= 8
