"""Sound: loudness as BS.1770 measures it, the limiter, resampling, and MP3 files players read."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import soundfile

from app.audio import sound
from app.audio.sound import SAMPLE_RATE, SoundError


def tone(seconds: float, rate: int = SAMPLE_RATE, hz: float = 997.0, peak: float = 1.0):
    return peak * np.sin(2 * math.pi * hz * np.arange(round(seconds * rate)) / rate)


def speech_like(seconds: float, seed: int = 1) -> np.ndarray:
    """Bursts of noisy tones with pauses, peaky like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voice = np.sin(2 * math.pi * 140 * t) * (1 + 0.5 * np.sin(2 * math.pi * 700 * t))
    voice += 0.3 * rng.standard_normal(t.size)
    syllables = (np.sin(2 * math.pi * 3 * t) > 0.2).astype(float)
    return 0.2 * voice * syllables


@pytest.mark.parametrize("rate", [48000, 44100, 22050, 16000])
def test_a_full_scale_997_hz_tone_measures_minus_3_lufs(rate: int) -> None:
    # ITU-R BS.1770-4: a 0 dBFS 997 Hz sine in one channel reads −3.01 LKFS.
    assert sound.loudness(tone(3, rate), rate) == pytest.approx(-3.01, abs=0.05)
    assert sound.loudness(tone(3, rate, peak=0.1), rate) == pytest.approx(-23.01, abs=0.05)


def test_loudness_leaves_out_silence_and_says_when_there_is_nothing() -> None:
    loud = tone(2, peak=0.1)
    with_pauses = np.concatenate([loud, np.zeros(4 * SAMPLE_RATE), loud])
    # Blocks that straddle a pause count (as BS.1770 says): a few tenths at most.
    assert sound.loudness(with_pauses) == pytest.approx(sound.loudness(loud), abs=0.5)
    assert sound.loudness(np.zeros(SAMPLE_RATE)) == -math.inf


def test_normalise_sets_the_loudness_and_keeps_peaks_under_minus_1_dbfs() -> None:
    for level in (0.01, 0.2, 0.9):
        out = sound.normalise(speech_like(4) * level / 0.2)
        assert sound.loudness(out) == pytest.approx(sound.TARGET_LOUDNESS, abs=1.0)
        assert np.max(np.abs(out)) <= sound.PEAK_LIMIT + 1e-9
    with pytest.raises(SoundError, match="silent"):
        sound.normalise(np.zeros(SAMPLE_RATE))


def test_resampling_keeps_duration_pitch_and_level() -> None:
    out = sound.resample(tone(2, 22050, hz=440, peak=0.5), 22050)
    assert out.size == 2 * SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(out))
    assert np.fft.rfftfreq(out.size, 1 / SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(
        440, abs=1
    )
    assert np.max(np.abs(out[1000:-1000])) == pytest.approx(0.5, abs=0.01)


def test_trim_and_join_control_the_pauses() -> None:
    burst = np.concatenate([np.zeros(8000), tone(0.5, peak=0.5), np.zeros(8000)])
    joined = sound.join([burst, burst], pause=0.4)
    assert joined.size / SAMPLE_RATE == pytest.approx(0.5 + 0.4 + 0.5 + 4 * 0.02, abs=0.01)


def test_mp3_is_16_khz_mono_with_a_xing_header_and_the_right_duration() -> None:
    samples = sound.normalise(speech_like(12))
    data = sound.encode_mp3(samples)
    info = sound.mp3_info(data)
    assert (info.rate, info.mono, info.xing) == (SAMPLE_RATE, True, True)
    # LAME adds a few frames of delay and padding: about 0.1 s.
    assert info.seconds == pytest.approx(12, abs=0.15)
    assert 8 <= info.kbps <= 16.5
    decoded, rate = soundfile.read(io.BytesIO(data))
    assert rate == SAMPLE_RATE and decoded.size / rate == pytest.approx(info.seconds, abs=0.1)
    assert sound.loudness(decoded) == pytest.approx(sound.TARGET_LOUDNESS, abs=1.0)
    # The Xing frame counts the others and the bytes, as players read them.
    assert data[13:17] == b"Xing"
    frames, size = int.from_bytes(data[21:25], "big"), int.from_bytes(data[25:29], "big")
    assert size == len(data) and frames == round(info.seconds * SAMPLE_RATE / 576)


def test_a_long_sound_gets_a_lower_bit_rate_to_fit_its_budget() -> None:
    samples = sound.normalise(speech_like(30))
    free = sound.encode_mp3(samples)
    assert len(free) > 40_000
    fitted = sound.encode_mp3(samples, max_bytes=40_000)
    assert len(fitted) <= 40_000
    assert sound.mp3_info(fitted).seconds == pytest.approx(sound.mp3_info(free).seconds, abs=0.1)
    assert sound.mp3_info(fitted).kbps < sound.mp3_info(free).kbps


def test_decode_reads_any_format_to_16_khz_mono() -> None:
    stereo = np.stack([tone(1, 44100, peak=0.5), tone(1, 44100, peak=0.5)], axis=1)
    for format in ("WAV", "FLAC", "OGG"):
        buffer = io.BytesIO()
        soundfile.write(buffer, stereo, 44100, format=format)
        samples = sound.decode(buffer.getvalue())
        assert samples.size == pytest.approx(SAMPLE_RATE, abs=2)
    with pytest.raises(SoundError, match="not a sound file"):
        sound.decode(b"this is not sound")
    with pytest.raises(SoundError, match="not an MP3"):
        sound.mp3_info(b"\xff\xf3\x48\xc4" + bytes(140) + b"garbage")
