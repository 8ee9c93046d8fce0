"""Sound: silences, loudness, sample rate, and the MP3 files Repère serves (no Flask).

Samples are mono float arrays (−1 to 1) at :data:`SAMPLE_RATE`. Recordings are MP3 (MPEG-2
Layer III, 16 kHz, mono), the format every phone and browser plays: speech at 16 kbit/s and
silences at 8 kbit/s (variable bit rate), with a Xing header so that players show the right
duration and can seek. Loudness is measured as ITU-R BS.1770 says (K-weighting, gated
400 ms blocks) and brought to :data:`TARGET_LOUDNESS`.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "SAMPLE_RATE",
    "TARGET_LOUDNESS",
    "Mp3Info",
    "SoundError",
    "decode",
    "encode_mp3",
    "join",
    "loudness",
    "mp3_info",
    "normalise",
    "resample",
    "silence",
    "trim",
]

SAMPLE_RATE = 16_000
"""Rate of every recording: speech needs no more (MPEG-2 Layer III, which all players read)."""
SPEECH_KBPS = 16
SILENCE_KBPS = 8
TARGET_LOUDNESS = -16.0
"""Integrated loudness of every recording, in LUFS (what speech apps and podcasts use)."""
PEAK_LIMIT = 10 ** (-1.0 / 20)
"""Samples never go above −1 dBFS after normalisation."""
SILENCE_FLOOR = 10 ** (-50 / 20)


class SoundError(ValueError):
    """A sound that cannot be used (unreadable, silent, not MP3); the message says why."""


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE))


def trim(samples: np.ndarray, margin: float = 0.02) -> np.ndarray:
    """Without the silence before and after the sound (a short margin is kept)."""
    loud = np.flatnonzero(np.abs(samples) > SILENCE_FLOOR)
    if loud.size == 0:
        return samples[:0]
    keep = round(margin * SAMPLE_RATE)
    return samples[max(0, loud[0] - keep) : loud[-1] + 1 + keep]


def join(sounds: list[np.ndarray], pause: float) -> np.ndarray:
    """The sounds one after the other, each trimmed, with ``pause`` seconds between them."""
    out: list[np.ndarray] = []
    for sound in sounds:
        if out:
            out.append(silence(pause))
        out.append(trim(sound))
    return np.concatenate(out) if out else silence(0)


def _fast_size(minimum: int, factor: int = 1) -> int:
    """The smallest ``factor × 2**k`` at least ``minimum``: a length the FFT handles fast."""
    size = factor
    while size < minimum:
        size *= 2
    return size


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Samples at ``rate`` brought to :data:`SAMPLE_RATE` (band-limited, through the spectrum)."""
    if rate == SAMPLE_RATE or samples.size == 0:
        return samples
    if rate < 8000:
        raise SoundError(f"sample rate {rate} Hz is too low for speech (8000 Hz at least)")
    common = math.gcd(rate, SAMPLE_RATE)
    # Lengths in and out in the ratio of the rates, with room for the ends to ring out.
    size = _fast_size(samples.size + rate // 10, rate // common)
    target = size // (rate // common) * (SAMPLE_RATE // common)
    spectrum = np.fft.rfft(samples, n=size)
    bins = target // 2 + 1
    if bins <= spectrum.size:
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - spectrum.size)])
    out = np.fft.irfft(spectrum, n=target) * (target / size)
    return out[: round(samples.size * SAMPLE_RATE / rate)]


# --------------------------------------------------------------------------- loudness


def _biquad_response(b: tuple[float, ...], a: tuple[float, ...], w: np.ndarray) -> np.ndarray:
    z = np.exp(-1j * w)
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


@lru_cache(maxsize=8)
def _k_weighting(size: int, rate: int) -> np.ndarray:
    """BS.1770's K-weighting (a high shelf, then a high pass) at the frequencies of a
    real FFT of ``size`` samples. The two filters are designed for ``rate`` by the bilinear
    transform from their analogue parameters; at 48 kHz they give the standard's
    coefficients."""
    w = 2 * math.pi * np.fft.rfftfreq(size, 1 / rate) / rate
    # High shelf: +4 dB above about 1.7 kHz (the effect of the head on what we hear).
    gain, f0, q = 3.999843853973347, 1681.974450955533, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    high, band = 10 ** (gain / 20), 10 ** (gain / 20 * 0.4996667741545416)
    a0 = 1 + k / q + k * k
    shelf = _biquad_response(
        (
            (high + band * k / q + k * k) / a0,
            2 * (k * k - high) / a0,
            (high - band * k / q + k * k) / a0,
        ),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
        w,
    )
    # High pass at about 38 Hz: low rumble does not count.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    high_pass = _biquad_response(
        (1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0), w
    )
    return shelf * high_pass


def loudness(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, one channel); −inf for silence."""
    block, step = round(0.4 * rate), round(0.1 * rate)
    if samples.size < block:
        samples = np.concatenate([samples, np.zeros(block - samples.size)])
    size = _fast_size(samples.size + rate)  # room for the filters' response to die out
    spectrum = np.fft.rfft(samples, n=size)
    weighted = np.fft.irfft(spectrum * _k_weighting(size, rate), n=size)
    squares = np.concatenate([[0.0], np.cumsum(weighted[: samples.size] ** 2)])
    starts = np.arange(0, samples.size - block + 1, step)
    power = (squares[starts + block] - squares[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(power)
    kept = power[levels > -70.0]
    if kept.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(kept.mean()) - 10.0
    kept = power[levels > max(relative, -70.0)]
    return -0.691 + 10 * math.log10(kept.mean())


def normalise(samples: np.ndarray, target: float = TARGET_LOUDNESS) -> np.ndarray:
    """The sound at ``target`` LUFS; peaks that would pass −1 dBFS are brought down by a
    limiter (which lowers the loudness by a few tenths of a decibel at most, for speech)."""
    level = loudness(samples)
    if not math.isfinite(level):
        raise SoundError("the sound is silent")
    return _limit(samples * 10 ** ((target - level) / 20))


def _limit(samples: np.ndarray, block: int = 160) -> np.ndarray:
    """The samples with their peaks brought down to :data:`PEAK_LIMIT`. The gain is set per
    10 ms block from the loudest of the blocks around it, then glides between blocks, so that
    it changes without clicks and is low enough on every peak."""
    count = -(-samples.size // block)
    padded = np.zeros(count * block)
    padded[: samples.size] = np.abs(samples)
    peaks = padded.reshape(count, block).max(axis=1)
    if peaks.max() <= PEAK_LIMIT:
        return samples
    spread = np.pad(peaks, 2, mode="edge")
    around = np.max([spread[i : i + count] for i in range(5)], axis=0)
    gain = np.minimum(1.0, PEAK_LIMIT / np.maximum(around, 1e-9))
    centres = (np.arange(count) + 0.5) * block
    return samples * np.interp(np.arange(samples.size), centres, gain)


# --------------------------------------------------------------------------- files


def decode(data: bytes) -> np.ndarray:
    """A sound file (WAV, FLAC, Ogg Vorbis or MP3) as mono samples at :data:`SAMPLE_RATE`."""
    import soundfile

    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise SoundError(
            f"not a sound file that can be read (WAV, FLAC, Ogg, MP3): {error}"
        ) from None
    return resample(samples.mean(axis=1), rate)


def probe(path: Path) -> None:
    """Raise SoundError unless the file's header says it is a sound this module can read
    (reading only the header: a build checks every human recording each time)."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise SoundError(
            f"not a sound file that can be read (WAV, FLAC, Ogg, MP3): {error}"
        ) from None
    if info.frames <= 0 and info.duration <= 0:
        raise SoundError("the file holds no sound")


def encode_mp3(samples: np.ndarray, max_bytes: int | None = None) -> bytes:
    """Mono samples at :data:`SAMPLE_RATE` as an MP3 file, with a Xing header.

    Speech gets 16 kbit/s and silences 8. When that would not fit in ``max_bytes``, the
    average bit rate is lowered until it fits, down to a constant 8 kbit/s (1 000 bytes a
    second); a sound too long even then comes out over the budget.
    """
    seconds = samples.size / SAMPLE_RATE
    # Variable bit rate gives about 1.85 kB a second of speech: try it when it may fit.
    if max_bytes is None or seconds * 1850 < max_bytes:
        data = _with_xing_header(_lame(samples, None))
        if max_bytes is None or len(data) <= max_bytes:
            return data
    # LAME's average bit rate misses the one asked for by a little: ask again, corrected.
    kbps = min(SPEECH_KBPS - 1, int(max_bytes * 8 / seconds / 1000))
    while kbps > SILENCE_KBPS:
        data = _with_xing_header(_lame(samples, kbps))
        if len(data) <= max_bytes:
            return data
        kbps = min(kbps - 1, int(kbps * max_bytes / len(data)))
    return _with_xing_header(_lame(samples, SILENCE_KBPS, constant=True))


def _lame(samples: np.ndarray, kbps: int | None, constant: bool = False) -> bytes:
    """LAME's frames: variable bit rate between 8 and 16 kbit/s, else an average (or with
    ``constant``, a constant) bit rate of ``kbps``."""
    import lameenc

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).round().astype("<i2").tobytes()
    encoder = lameenc.Encoder()
    encoder.silence()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_quality(5)
    if constant:
        encoder.set_bit_rate(kbps)
        return bytes(encoder.encode(pcm) + encoder.flush())
    if kbps is None:
        encoder.set_vbr(4)  # LAME's default variable bit rate method
        encoder.set_vbr_quality(5)
        encoder.set_vbr_hard_min(1)
    else:
        encoder.set_vbr(3)  # average bit rate
        encoder.set_vbr_mean_bitrate_kbps(kbps)
    encoder.set_vbr_min_bitrate_kbps(SILENCE_KBPS)
    encoder.set_vbr_max_bitrate_kbps(SPEECH_KBPS)
    return bytes(encoder.encode(pcm) + encoder.flush())


# MPEG audio frame headers (ISO 11172-3, 13818-3 and the "2.5" extension): Layer III only.
_VERSIONS = {3: "1", 2: "2", 0: "2.5"}
_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {"1": (44100, 48000, 32000), "2": (22050, 24000, 16000), "2.5": (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Frame:
    offset: int
    size: int
    version: str
    kbps: int
    rate: int
    samples: int
    mono: bool


def _frame_at(data: bytes, offset: int) -> _Frame | None:
    if offset + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[offset : offset + 4]
    if b0 != 0xFF or b1 & 0xE0 != 0xE0 or (b1 >> 1) & 3 != 1:
        return None
    version = _VERSIONS.get((b1 >> 3) & 3)
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    kbps = _BITRATES["1" if version == "1" else "2"][bitrate_index]
    rate = _RATES[version][rate_index]
    samples = 1152 if version == "1" else 576
    size = samples // 8 * kbps * 1000 // rate + ((b2 >> 1) & 1)
    return _Frame(offset, size, version, kbps, rate, samples, mono=(b3 >> 6) == 3)


def _frames(data: bytes) -> list[_Frame]:
    """The frames of an MP3 file, after any ID3v2 tag; raises SoundError if it is not one."""
    offset = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6:10]
        offset = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
    frames: list[_Frame] = []
    while offset < len(data):
        frame = _frame_at(data, offset)
        if frame is None:
            if data[offset : offset + 3] == b"TAG" and len(data) - offset == 128:
                break  # ID3v1 tag at the end
            raise SoundError(f"not an MP3 (Layer III) stream at byte {offset}")
        frames.append(frame)
        offset += frame.size
    if not frames:
        raise SoundError("no MP3 frame")
    return frames


def _side_info_size(frame: _Frame) -> int:
    if frame.version == "1":
        return 17 if frame.mono else 32
    return 9 if frame.mono else 17


def _is_tag_frame(data: bytes, frame: _Frame) -> bool:
    start = frame.offset + 4 + _side_info_size(frame)
    return data[start : start + 4] in (b"Xing", b"Info")


def _with_xing_header(data: bytes) -> bytes:
    """Put a Xing frame first: frame count, byte count and a table of contents for seeking,
    which a variable bit rate file needs for players to know its duration."""
    frames = _frames(data)
    first = frames[0]
    # An MPEG-2 frame at 32 kbit/s and 16 kHz holds 144 bytes: room for the 120-byte tag.
    header = bytes((0xFF, 0xF3, 0x48, data[first.offset + 3]))
    tag_frame = _frame_at(header + bytes(140), 0)
    assert tag_frame is not None and tag_frame.size == 144 and first.rate == SAMPLE_RATE
    total = tag_frame.size + len(data)
    toc = bytearray(100)
    for percent in range(100):
        frame = frames[min(len(frames) - 1, percent * len(frames) // 100)]
        toc[percent] = min(255, (tag_frame.size + frame.offset) * 256 // total)
    body = header + bytes(9) + b"Xing" + struct.pack(">III", 7, len(frames), total) + bytes(toc)
    return body + bytes(tag_frame.size - len(body)) + data


@dataclass(frozen=True)
class Mp3Info:
    """What a player reads from an MP3 file."""

    seconds: float
    rate: int
    mono: bool
    kbps: float
    """Average bit rate of the sound (the Xing frame left out)."""
    xing: bool


def mp3_info(data: bytes) -> Mp3Info:
    """Duration, sample rate, channels and bit rate of an MP3 file, from its frames."""
    frames = _frames(data)
    xing = _is_tag_frame(data, frames[0])
    sound = frames[1:] if xing else frames
    if not sound:
        raise SoundError("no sound in the MP3 file")
    samples = sum(frame.samples for frame in sound)
    seconds = samples / sound[0].rate
    return Mp3Info(
        seconds=seconds,
        rate=sound[0].rate,
        mono=all(frame.mono for frame in sound),
        kbps=sum(frame.size for frame in sound) * 8 / seconds / 1000,
        xing=xing,
    )


def read(path: Path) -> np.ndarray:
    """A sound file on disk as mono samples at :data:`SAMPLE_RATE`."""
    return decode(path.read_bytes())
