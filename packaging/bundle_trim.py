"""Size trimming that packaging/planner.spec applies to the bundled binaries (Linux only).

Nothing here changes what the app can do; each step checks its own precondition and leaves the
file as it was (with one printed line saying why) when the check fails or a tool is missing:

* ``trim_icu_data``: PySide6's Linux wheels ship ICU, whose data library (libicudata, 32 MB)
  holds every ICU service. Qt calls only a few (collation, code-page conversion, calendars and
  time-zone names, case mapping: see ``QT_ICU_APIS``); the data trees that only other services
  read (``ICU_UNUSED_TREES``) are dropped and the library is rebuilt around the rest with the
  GNU assembler and linker (binutils). The spec first checks that every ICU function any
  bundled binary imports is one of ``QT_ICU_APIS``, so a future Qt that uses more of ICU keeps
  the full data.
* ``strip_debug``: pyenv (and any source build) leaves DWARF debug sections in CPython's own
  libpython and standard-library extension modules (~30 MB). ``strip --strip-debug`` removes
  only those sections, from those files only: numpy's, scipy's and Qt's libraries are never
  stripped (their wheels' patched ELF files break under ``strip``).

The ICU common-data format ("CmnD", ICU's udata.cpp / icupkg) is a header, a table of
contents sorted by item name (name and data offsets relative to the table), the names, then
the items, each 16-byte aligned.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

# data trees (first path component below icudtNNl/) that only ICU services Qt never calls read:
# break iteration and its dictionaries (ubrk_*), transliteration (utrans_*), spelled-out
# numbers (rbnf), and the display names of units, currencies, languages and regions (unum_,
# ucurr_, uloc_getDisplay*). Kept: coll/ (QCollator, the file dialogs' sorting), zone/ and the
# root-level zoneinfo/metaZones (QTimeZone display names), the *.cnv conversion tables
# (QStringConverter), locale and supplemental data and the properties/normalisation files.
ICU_UNUSED_TREES = ("brkitr", "translit", "rbnf", "unit", "curr", "lang", "region")

# the ICU C functions (prefixes, without ICU's _NN version suffix) whose data the trimmed
# library still holds; these are exactly what Qt 6.12's QtCore imports
QT_ICU_APIS = ("u_strToLower", "u_strToUpper", "u_errorName", "ucal_", "ucnv_", "UCNV_", "ucol_")

_SHT_DYNSYM = 11


# --- ELF (64-bit little-endian: x86_64 and aarch64 Linux) ------------------------------------


def _elf_dynsyms(data: bytes) -> list[tuple[str, int, int, int]] | None:
    """(name, section index, value, size) of each dynamic symbol, or None if not ELF64 LE."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    out = []
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != _SHT_DYNSYM:
            continue
        str_off = sections[link][4]
        for i in range(size // entsize):
            st_name, _st_info, _other, shndx, value, st_size = struct.unpack_from(
                "<IBBHQQ", data, offset + i * entsize
            )
            end = data.index(b"\0", str_off + st_name)
            out.append(
                (data[str_off + st_name : end].decode("ascii", "replace"), shndx, value, st_size)
            )
        return out
    return []


def icu_data_symbol(path: Path) -> tuple[str, bytes] | None:
    """(symbol name, bytes) of the ICU common data a libicudata exports (icudtNN_dat)."""
    data = path.read_bytes()
    syms = _elf_dynsyms(data)
    if not syms:
        return None
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize = struct.unpack_from("<H", data, 0x3A)[0]
    for name, shndx, value, size in syms:
        if re.fullmatch(r"icudt\d+_dat", name) and 0 < shndx < 0xFF00 and size:
            addr, offset = struct.unpack_from("<QQ", data, shoff + shndx * shentsize + 0x10)
            start = value - addr + offset
            return name, data[start : start + size]
    return None


def icu_imports(path: Path, version: str) -> set[str]:
    """ICU functions (version suffix removed) that the binary at ``path`` imports."""
    syms = _elf_dynsyms(path.read_bytes()) or []
    suffix = f"_{version}"
    return {n[: -len(suffix)] for n, shndx, _v, _s in syms if shndx == 0 and n.endswith(suffix)}


# --- ICU common data ("CmnD") ----------------------------------------------------------------


def read_common_data(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(header, [(item name, item bytes)]) of an ICU common data package (little-endian)."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob, 0)
    if (magic1, magic2) != (0xDA, 0x27) or blob[12:16] != b"CmnD" or blob[8] != 0:
        raise ValueError("not a little-endian ICU common data package")
    (count,) = struct.unpack_from("<I", blob, header_size)
    toc = [struct.unpack_from("<II", blob, header_size + 4 + 8 * i) for i in range(count)]
    ends = [off for _, off in toc[1:]] + [len(blob) - header_size]
    items = []
    for (name_off, data_off), end in zip(toc, ends, strict=True):
        name_start = header_size + name_off
        name = blob[name_start : blob.index(b"\0", name_start)].decode("ascii")
        items.append((name, blob[header_size + data_off : header_size + end]))
    return blob[:header_size], items


def write_common_data(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """The package holding ``items`` (name order, as ICU's binary search needs)."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc_size = 4 + 8 * len(items)

    def align(n: int) -> int:
        return (n + 15) & ~15

    offset = align(len(header) + toc_size + len(names)) - len(header)
    toc = bytearray(struct.pack("<I", len(items)))
    body = bytearray()
    name_off = toc_size
    for name, data in items:
        toc += struct.pack("<II", name_off, offset + len(body))
        name_off += len(name) + 1
        body += data + b"\xaa" * (align(len(data)) - len(data))
    pad = b"\xaa" * (offset - toc_size - len(names))  # icupkg pads with 0xaa
    return header + bytes(toc) + names + pad + bytes(body)


def drop_trees(items: list[tuple[str, bytes]], trees: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """``items`` less those inside one of the folders ``trees`` (icudt73l/<tree>/...)."""

    def tree(name: str) -> str | None:
        parts = name.split("/")
        return parts[1] if len(parts) > 2 else None

    return [(n, d) for n, d in items if tree(n) not in trees]


def _padded(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """What ``read_common_data`` gives back for ``items`` written by ``write_common_data``."""
    return [
        (n, d + b"\xaa" * (-len(d) % 16)) for n, d in sorted(items, key=lambda i: i[0].encode())
    ]


# --- the two trims ---------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    return shutil.which(name)


def build_data_library(symbol: str, blob: bytes, soname: str, workdir: Path) -> Path | None:
    """A shared library ``workdir/soname`` exporting ``blob`` as the 16-byte aligned object
    ``symbol`` (what ICU's own data library is), made with GNU as and ld; None if it cannot be.
    """
    assembler, linker = _tool("as"), _tool("ld")
    if not (assembler and linker):
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    dat = workdir / f"{symbol}.bin"
    dat.write_bytes(blob)
    asm, obj, out = workdir / f"{symbol}.s", workdir / f"{symbol}.o", workdir / soname
    asm.write_text(
        '\t.section .rodata,"a"\n'
        f"\t.globl {symbol}\n"
        f'\t.type {symbol}, "object"\n'
        "\t.balign 16\n"
        f"{symbol}:\n"
        f'\t.incbin "{dat.resolve()}"\n'
        f"\t.size {symbol}, . - {symbol}\n"
        '\t.section .note.GNU-stack,"",%progbits\n',
        encoding="ascii",
    )
    try:
        subprocess.run([assembler, "-o", str(obj), str(asm)], check=True, capture_output=True)
        subprocess.run(
            [linker, "-shared", "-soname", soname, "-z", "noexecstack", "-o", str(out), str(obj)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bundle_trim: building {soname} failed: {exc}")
        return None
    finally:
        for tmp in (dat, asm, obj):
            tmp.unlink(missing_ok=True)
    return out


def trim_icu_data(
    src: Path, workdir: Path, trees: tuple[str, ...] = ICU_UNUSED_TREES
) -> Path | None:
    """A libicudata without the ``trees`` data, built in ``workdir``; None (and why) if not."""
    found = icu_data_symbol(src)
    if found is None:
        print(f"bundle_trim: {src.name}: no ICU data symbol found; kept whole")
        return None
    symbol, blob = found
    header, items = read_common_data(blob)
    kept = drop_trees(items, trees)
    out = build_data_library(symbol, write_common_data(header, kept), src.name, workdir)
    if out is None:
        print(
            f"bundle_trim: {src.name}: GNU as/ld (binutils) missing or failing; ICU data kept whole"
        )
        return None
    check = icu_data_symbol(out)
    if check is None or check[0] != symbol or read_common_data(check[1])[1] != _padded(kept):
        print(f"bundle_trim: {src.name}: the rebuilt library does not read back; kept whole")
        return None
    print(
        f"bundle_trim: {src.name}: ICU data {len(blob) / 2**20:.1f} -> "
        f"{len(check[1]) / 2**20:.1f} MiB (dropped {len(items) - len(kept)} items: "
        f"{', '.join(t + '/' for t in trees)})"
    )
    return out


def strip_debug(src: Path, dst: Path) -> Path | None:
    """``dst``: ``src`` without DWARF debug sections (binutils strip), or None if not possible."""
    tool = _tool("strip")
    if tool is None:
        return None
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [tool, "--strip-debug", "-o", str(dst), str(src)], check=True, capture_output=True
        )
    except subprocess.CalledProcessError:
        return None
    return dst
