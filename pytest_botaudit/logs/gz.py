"""A compressed log read exactly up to its damage.

:mod:`gzip` decompresses in large steps and raises on damage, losing what the failing step had
already decompressed (up to several MiB, or the whole of a small file). Here the compressed
bytes go to :func:`zlib.decompressobj` a piece at a time; the piece that fails is fed again byte
by byte, so every byte of content that came before the damaged one is returned, and the damage
is reported at its offset in the file."""

from __future__ import annotations

import zlib
from typing import IO

PIECE = 2**16  # compressed bytes fed at a time
_GZIP = 16 + zlib.MAX_WBITS  # a gzip header and trailer (CRC, size) around a deflate stream


class LogDamaged(Exception):
    """The compressed file is damaged at ``offset`` (bytes of the file) after ``content``
    bytes of good content: a corrupt byte, a truncation, or a file that is not gzip."""

    def __init__(self, offset: int, content: int, reason: str, located: bool = True) -> None:
        super().__init__(reason)
        self.offset = offset
        self.content = content
        self.reason = reason
        self.located = located  # False: only the member's check at ``offset`` found it


class GzipContent:
    """The decompressed content of a (multi-member) gzip file, as a binary reader. A read
    returns content from before the damage first; the read after the last good byte raises
    :class:`LogDamaged`."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj(_GZIP)
        self._out = bytearray()
        self._offset = 0  # compressed bytes of the file accepted without error
        self._content = 0  # content bytes handed out or waiting in _out
        self._member_started = False  # bytes of the current member have been fed
        self._damage: LogDamaged | None = None
        self._done = False

    def __enter__(self) -> GzipContent:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._raw.close()

    def read(self, size: int = -1) -> bytes:
        want = size if size >= 0 else 1 << 62
        while len(self._out) < want and not self._done:
            self._pump()
        if not self._out and self._damage is not None:
            damage, self._damage = self._damage, None
            raise damage
        taken = bytes(self._out[:want])
        del self._out[:want]
        return taken

    def _pump(self) -> None:
        piece = self._raw.read(PIECE)
        if not piece:
            if self._member_started:
                self._fail("truncated: the file ends inside a compressed member")
            self._done = True
            return
        self._feed(piece)

    def _feed(self, piece: bytes) -> None:
        while piece and not self._done:
            if not self._member_started:
                piece = self._skip_padding(piece)
                if not piece:
                    return
            saved = self._inflate.copy()
            try:
                self._take(self._inflate.decompress(piece), len(piece))
            except zlib.error:
                self._inflate = saved
                self._narrow(piece)
                return
            piece = self._next_member()

    def _skip_padding(self, piece: bytes) -> bytes:
        """Zero bytes after a member are padding (as :mod:`gzip` reads them)."""
        rest = piece.lstrip(b"\x00")
        self._offset += len(piece) - len(rest)
        if rest:
            self._member_started = True
        return rest

    def _take(self, out: bytes, fed: int) -> None:
        self._out += out
        self._content += len(out)
        self._offset += fed

    def _next_member(self) -> bytes:
        """After a member's end, the bytes fed past it belong to the next member."""
        if not self._inflate.eof:
            return b""
        rest = self._inflate.unused_data
        self._offset -= len(rest)
        self._inflate = zlib.decompressobj(_GZIP)
        self._member_started = False
        return rest

    def _narrow(self, piece: bytes) -> None:
        """Feed the failing piece byte by byte: the content up to the damaged byte is kept."""
        for at in range(len(piece)):
            try:
                self._take(self._inflate.decompress(piece[at : at + 1]), 1)
            except zlib.error as exc:
                if self._offset < 2 and not self._content and "header" in str(exc):
                    self._offset = 0  # zlib reads the two magic bytes before it says so
                    self._fail("not a gzip file")
                else:
                    self._fail(*_reason(exc))
                return
            if self._inflate.eof:
                self._feed(self._next_member() + piece[at + 1 :])
                return

    def _fail(self, reason: str, located: bool = True) -> None:
        self._damage = LogDamaged(self._offset, self._content, reason, located)
        self._done = True


def _reason(exc: zlib.error) -> tuple[str, bool]:
    """The damage in words, and whether it is located at the byte that raised."""
    text = str(exc).removeprefix("Error -3 while decompressing data: ")
    if text in ("incorrect data check", "incorrect length check"):
        # deflate decodes a damaged stream without noticing; only the member's CRC-32 or
        # length at its end tells, so the damage lies somewhere before this byte
        return f"{text}: the member's check at its end fails, its content read as decoded", False
    return text, True
