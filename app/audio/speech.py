"""eSpeak NG, the speech synthesiser, through its C library (no Flask).

The library and its voices come from the ``espeakng-loader`` package (a wheel that ships
``libespeak-ng`` and ``espeak-ng-data``), so no system package is needed. Everything here
works offline. When the package or a voice is missing, :class:`SpeechUnavailable` says what
is missing, and the site runs without recordings in that language.
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["Speaker", "SpeechUnavailable", "Voice", "speaker"]

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PARAMETER_RATE = 1
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechUnavailable(RuntimeError):
    """Speech cannot be made here; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Voice:
    """An eSpeak NG voice (``name`` as in ``espeak-ng -v``) and its speed in words a minute."""

    name: str
    rate: int


class Speaker:
    """The eSpeak NG library, loaded once per process. Calls are serialised by a lock:
    the library keeps its state in globals."""

    def __init__(self, library: Path, data: Path) -> None:
        try:
            self._lib = ctypes.CDLL(str(library))
        except OSError as error:
            raise SpeechUnavailable(
                f"eSpeak NG library {library} cannot be loaded: {error}"
            ) from None
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._receive)  # kept: the library calls it later
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.parent).encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SpeechUnavailable(f"eSpeak NG found no voice data in {data}")
        self.sample_rate: int = rate
        self.version: str = (self._lib.espeak_Info(None) or b"?").decode()
        self._lib.espeak_SetSynthCallback(self._callback)

    def _receive(self, samples: ctypes._Pointer, count: int, _events: int) -> int:
        if samples and count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    def has_voice(self, name: str) -> bool:
        with self._lock:
            return self._lib.espeak_SetVoiceByName(name.encode()) == _EE_OK

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        """The text spoken by the voice: mono 16-bit samples at :attr:`sample_rate`."""
        encoded = text.encode()
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.name.encode()) != _EE_OK:
                raise SpeechUnavailable(f"eSpeak NG {self.version} has no voice {voice.name!r}")
            self._lib.espeak_SetParameter(_PARAMETER_RATE, voice.rate, 0)
            self._chunks = []
            status = self._lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, 0, 0, _CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise SpeechUnavailable(f"eSpeak NG could not speak {text[:40]!r} (error {status})")
        return np.frombuffer(b"".join(chunks), dtype=np.int16)


@lru_cache(maxsize=1)
def speaker() -> Speaker:
    """The process's eSpeak NG: from ``ESPEAK_NG_LIBRARY`` and ``ESPEAK_NG_DATA`` when set
    (e.g. Debian's libespeak-ng1 and espeak-ng-data, on a machine the package has no wheel
    for), else from the ``espeakng-loader`` package.

    Raises :class:`SpeechUnavailable` (not cached: a later call tries again) when neither is
    there or the library does not load on this machine.
    """
    if os.environ.get("ESPEAK_NG_LIBRARY"):
        library = Path(os.environ["ESPEAK_NG_LIBRARY"])
        data = Path(os.environ.get("ESPEAK_NG_DATA") or "/usr/share/espeak-ng-data")
        if not data.is_dir():
            raise SpeechUnavailable(f"no eSpeak NG voice data at {data} (ESPEAK_NG_DATA)")
        return Speaker(library, data)
    try:
        import espeakng_loader
    except ImportError:
        raise SpeechUnavailable(
            "the espeakng-loader package is not installed (it ships eSpeak NG and its voices): "
            "run `make .venv/.installed` or `pip install -e .`"
        ) from None
    try:
        library = Path(espeakng_loader.get_library_path())
        data = Path(espeakng_loader.get_data_path())
    except (RuntimeError, OSError) as error:
        raise SpeechUnavailable(f"espeakng-loader is incomplete: {error}") from None
    if not library.is_file():
        raise SpeechUnavailable(
            f"espeakng-loader has no eSpeak NG library for this machine ({library})"
        )
    return Speaker(library, data)
