"""What the recordings say, and building them: fresh, stale, human voices, nothing to speak with."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.assessment.bank import Bank, load_bank
from app.audio import scripts, sound, translator
from app.audio.library import build, fresh_recordings, human_file_name, read_manifest
from app.audio.pronounce import pronunciation
from app.audio.scripts import all_clips
from app.audio.speech import SpeechUnavailable, Voice, speaker
from app.config import PROJECT_ROOT

ITEMS = """
domain = "communication"

[[item]]
id = "comm-one"
text = "Un employeur vous appelle. Où voyez-vous son numéro ?"
options = ["Dans la liste des appels", "Dans les photos", "Dans les réglages"]
answer = 1
can_do = "Vous savez retrouver un appel."
a = 1.0
b = 0.0
[item.mistakes]
2 = "Looks among the pictures."
3 = "Looks in the settings."

[[item]]
id = "comm-two"
text = "Quel mot dit bonjour ?"
options = ["Salut", "Chaise", "Voiture"]
answer = 1
can_do = "Vous savez dire bonjour."
a = 1.0
b = 0.0
[item.mistakes]
2 = "Takes any word for a greeting."
3 = "Takes any word for a greeting."
"""


def small_bank(tmp_path: Path, text: str = ITEMS) -> Bank:
    (tmp_path / "content" / "items").mkdir(parents=True, exist_ok=True)
    (tmp_path / "content" / "items" / "communication.toml").write_text(text, encoding="utf-8")
    return load_bank(tmp_path / "content")


def french(bank: Bank) -> list[scripts.Clip]:
    return [clip for clip in all_clips(bank, "fr", str) if clip.key.startswith("items/")]


def test_an_item_is_read_question_then_numbered_options_then_dont_know(tmp_path: Path) -> None:
    first, second = (clip.pieces[0].parts for clip in french(small_bank(tmp_path)))
    assert first == (
        "Un employeur vous appelle. Où voyez-vous son numéro ?",
        "Réponse 1 : Dans la liste des appels",
        "Réponse 2 : Dans les photos",
        "Réponse 3 : Dans les réglages",
        "Je ne sais pas",
    )
    assert second[-2:] == ("Réponse 3 : Voiture", "Je ne sais pas")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_other_languages_say_everything_in_their_own_words(locale: str) -> None:
    translate = translator(locale, PROJECT_ROOT / "translations")
    clips = list(all_clips(load_bank(), locale, translate))
    french_clips = {clip.key: clip for clip in all_clips(load_bank(), "fr", str)}
    for clip in clips:
        assert clip.text != french_clips[clip.key].text, clip.key
        assert "Réponse" not in clip.text and "Je ne sais pas" not in clip.text, clip.key


def test_every_page_and_result_has_its_clip_in_every_language() -> None:
    keys = {clip.key for clip in all_clips(load_bank(), "fr", str)}
    assert {"pages/home", "pages/pause"} <= keys
    assert {scripts.test_intro_clip_key(b) for b in ("start", "continue", "results")} <= keys
    assert {scripts.results_clip_key(band, b) for band in range(4) for b in (True, False)} <= keys


def test_a_clip_changes_its_fingerprint_when_its_text_changes(tmp_path: Path) -> None:
    before = french(small_bank(tmp_path))[0]
    after = french(small_bank(tmp_path, ITEMS.replace("Dans les photos", "Dans l'agenda")))[0]
    assert before.key == after.key and before.fingerprint != after.fingerprint
    assert before.pieces[0].mark != after.pieces[0].mark


def test_build_makes_then_keeps_then_remakes_only_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "audio"
    clips = french(small_bank(tmp_path))
    first = build(clips, folder)
    assert len(first.built) == 2 and not first.missing
    files = {r.key: r.file for r in first.built}
    for recording in first.built:
        data = (folder / recording.file).read_bytes()
        assert recording.bytes == len(data) and sound.mp3_info(data).seconds > 3
    assert build(clips, folder).kept == 2

    changed = french(small_bank(tmp_path, ITEMS.replace("Dans les photos", "Dans l'agenda")))
    # Until it is made again, the page does not link a recording of the old text.
    assert set(fresh_recordings(changed, folder)) == {("fr", "items/comm-two")}
    check = build(changed, folder, dry_run=True)
    assert check.to_make == ["fr items/comm-one: its text changed"]
    again = build(changed, folder)
    assert [r.key for r in again.built] == ["items/comm-one"] and again.removed == 1
    assert not (folder / files["items/comm-one"]).exists()
    assert (folder / files["items/comm-two"]).exists()


def test_two_servers_name_the_same_recording_alike(tmp_path: Path) -> None:
    clips = french(small_bank(tmp_path))
    one = build(clips, tmp_path / "one")
    other = build(list(reversed(clips)), tmp_path / "other")  # another order, another state
    assert sorted(r.file for r in one.built) == sorted(r.file for r in other.built)


def spoken_wav(text: str) -> bytes:
    """A voice recorded elsewhere: stereo WAV at 22.05 kHz, much quieter than ours."""
    engine = speaker()
    samples = engine.speak(text, Voice("fr", 150)) / 32768.0 * 0.1
    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.stack([samples, samples], axis=1), engine.sample_rate, "PCM_16", format="WAV"
    )
    return buffer.getvalue()


def test_a_human_recording_wins_only_for_the_text_it_reads(tmp_path: Path) -> None:
    folder, voices = tmp_path / "audio", tmp_path / "recordings"
    clip = french(small_bank(tmp_path))[0]
    piece = clip.pieces[0]
    path = voices / "fr" / human_file_name(piece, "wav")
    path.parent.mkdir(parents=True)
    path.write_bytes(spoken_wav(piece.text))
    old = voices / "fr" / "items" / "comm-one.00000000.wav"
    old.write_bytes(path.read_bytes())
    broken = voices / "fr" / human_file_name(piece, "ogg")
    broken.write_bytes(b"not a sound")

    report = build([clip], folder, voices)
    (recording,) = report.built
    assert recording.made_with == "human" and report.human_pieces == {("fr", piece.key)}
    assert any("comm-one.00000000.wav: not used" in w for w in report.warnings)
    assert any(f"{broken.name}: not used: not a sound file" in w for w in report.warnings)
    decoded, _ = soundfile.read(io.BytesIO((folder / recording.file).read_bytes()))
    assert sound.loudness(decoded) == pytest.approx(sound.TARGET_LOUDNESS, abs=1.5)

    path.unlink()  # the human recording taken away: back to synthetic speech
    (again,) = build([clip], folder, voices).built
    assert again.made_with.startswith("eSpeak NG")


class NoArabic:
    """eSpeak NG as shipped, less its Arabic voice."""

    def __init__(self) -> None:
        self.real = speaker()
        self.version, self.sample_rate = self.real.version, self.real.sample_rate

    def has_voice(self, name: str) -> bool:
        return name != "ar" and self.real.has_voice(name)

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        return self.real.speak(text, voice)


def test_a_missing_voice_or_library_is_reported_and_nothing_breaks(tmp_path: Path) -> None:
    bank = small_bank(tmp_path)
    arabic = [c for c in all_clips(bank, "ar", str) if c.key.startswith("items/")]
    folder = tmp_path / "audio"
    report = build(french(bank) + arabic, folder, speaker=NoArabic)  # type: ignore[arg-type]
    assert len(report.built) == 2
    assert {(locale, problem) for locale, _key, problem in report.missing} == {
        ("ar", f"eSpeak NG {speaker().version} has no voice 'ar' for 'ar'")
    }
    assert "MISSING ar: 2 recording(s) not made, so not linked" in report.summary()

    def nothing() -> None:
        raise SpeechUnavailable("the espeakng-loader package is not installed")

    without = build(french(bank), folder, speaker=nothing)  # type: ignore[arg-type]
    assert without.kept == 2 and not without.missing  # what was made stays served
    elsewhere = build(french(bank), tmp_path / "empty", speaker=nothing)  # type: ignore[arg-type]
    assert [problem for *_, problem in elsewhere.missing] == [
        "no speech synthesis: the espeakng-loader package is not installed"
    ] * 2
    assert not (tmp_path / "empty").exists() and read_manifest(tmp_path / "empty") == {}


def test_arabic_is_read_with_its_vowels_and_the_page_keeps_its_text() -> None:
    written = "يستغرق الاختبار حوالي 10 دقائق."
    said = pronunciation("ar").prepare(written)
    marks = {chr(c) for c in range(0x064B, 0x0653)}
    assert sum(c in marks for c in said) >= 10
    assert "".join(c for c in said if c not in marks) == written
    assert pronunciation("ar").label.startswith("text2tashkeel ")
    assert pronunciation("fr").prepare("Réponse 1 : oui") == "Réponse 1 : oui"
