# SPDX-License-Identifier: MIT
"""A small parser for include/trainest.h, so the tests can compare the
Python mirrors field by field with the header (not only their sizes)."""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def header_path():
    """The repository's header, else the installed one next to the library."""
    candidates = [os.path.normpath(os.path.join(HERE, "..", "..", "..", "include", "trainest.h"))]
    env = os.environ.get("TRAINEST_HEADER")
    if env:
        candidates.insert(0, env)
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("trainest.h not found; tried: " + ", ".join(candidates))


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def flags(path=None):
    """The flag macros: {"CHANGED": [("GLOBAL_BATCH", 1), ...], "FIT": [...], ...}."""
    with open(path or header_path(), encoding="utf-8") as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"^#define TRAINEST_(CHANGED|FIT|CALIBRATE)_(\w+) (0x[0-9a-fA-F]+)u\b", text,
                         flags=re.M):
        out.setdefault(m.group(1), []).append((m.group(2), int(m.group(3), 16)))
    return out


def parse(path=None):
    """Return (structs, enums).

    structs: {"trainest_plan": [(ctype, name, array_len_or_None), ...]}
    enums:   {"trainest_preset": [("TRAINEST_PRESET_PLAIN", 0), ...]}
    """
    with open(path or header_path(), encoding="utf-8") as f:
        text = _strip_comments(f.read())
    structs = {}
    for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        name, body = m.group(1), m.group(2)
        fields = []
        for decl in body.split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            fm = re.fullmatch(r"(\w+)\s+(\w+)(?:\[(\d+)\])?", decl)
            if not fm:
                raise ValueError("cannot parse field %r of %s" % (decl, name))
            fields.append((fm.group(1), fm.group(2), int(fm.group(3)) if fm.group(3) else None))
        structs[name] = fields
    enums = {}
    for m in re.finditer(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        items = []
        for item in m.group(2).split(","):
            item = " ".join(item.split())
            if not item:
                continue
            em = re.fullmatch(r"(\w+)\s*=\s*(-?\d+)", item)
            if not em:
                raise ValueError("cannot parse enumerator %r" % item)
            items.append((em.group(1), int(em.group(2))))
        enums[m.group(1)] = items
    return structs, enums
