"""Parsers of the file formats the program writes, each reading a file the way its owner does closely enough to
see its structure: INI (oslo.config, ceph.conf, idmapd.conf), ganesha.conf, NFS exports, libvirt's conf files,
XML, and files of whitespace-separated fields (fstab, shares, glusterd.vol, tgt, keyrings, known_hosts).

render.py parses every rendered file back with these and compares it with the structure its template meant
(render.py: `render`); the Python-built files check their lines with `fields`. A parser returns nested tuples
of strings and raises ValueError on what its format does not allow. Every parser breaks lines wherever any reader
might (str.splitlines: \r, \v, \f, \x85, \u2028 as well as \n), so a hidden line break shows as one."""
from __future__ import annotations

import configparser
import re
import xml.etree.ElementTree as ET


def ini(text: str) -> tuple:
    """Sections in order, each with its options in order; a repeated section or option, an option before the
    first section or a continuation line is an error (oslo.config would read them differently or not at all)."""
    parser = configparser.RawConfigParser(strict=True, default_section="\0", interpolation=None,
                                          empty_lines_in_values=False)
    parser.optionxform = str
    try:
        parser.read_string("\n".join(text.splitlines()))
    except configparser.Error as e:
        raise ValueError(str(e).splitlines()[0]) from None
    for number, line in enumerate(text.splitlines(), 1):
        if line[:1] in (" ", "\t") and line.strip() and not line.lstrip().startswith(("#", ";")):
            raise ValueError(f"line {number} continues the previous value: {line.strip()[:40]!r}")
    return tuple((s, tuple(parser.items(s))) for s in parser.sections())


def fields(text: str, comment: str = "#") -> tuple:
    """Per line that is not blank or a comment, its whitespace-separated fields."""
    return tuple(tuple(line.split()) for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith(comment))


def expect_fields(text: str, count: int, what: str) -> str:
    """`text` when each of its lines has exactly `count` fields; ValueError naming `what` otherwise."""
    bad = next((f for f in fields(text) if len(f) != count), None)
    if bad is not None or len(fields(text)) != len([ln for ln in text.splitlines() if ln.strip()]):
        raise ValueError(f"{what}: a line has {len(bad) if bad else 'a comment or'} fields, not {count}")
    return text


CLIENT = re.compile(r"([^\s()]+)\(([^\s()]*)\)")


def exports(text: str) -> tuple:
    """/etc/exports: per line the path, then each client as (host, its options)."""
    out = []
    for line in fields(text):
        clients = []
        for client in line[1:]:
            m = CLIENT.fullmatch(client)
            if not m:
                raise ValueError(f"{client!r} is not host(options)")
            clients.append((m.group(1), tuple(m.group(2).split(","))))
        out.append((line[0], tuple(clients)))
    return tuple(out)


GANESHA_TOKEN = re.compile(r'\s+|#[^\n]*|"([^"\n]*)"|([{};=,])|([^\s{};=,"#]+)|(.)')


def ganesha(text: str) -> tuple:
    """ganesha.conf: blocks `NAME { key = value[, value]; ... }`, nested, as (name, items); an item is
    (key, values) or a block. Quoted values keep their quotes, so a quote cannot move."""
    tokens = []
    for m in GANESHA_TOKEN.finditer("\n".join(text.splitlines())):
        if m.group(4) is not None:
            raise ValueError(f"unexpected {m.group(4)!r} in ganesha.conf")
        if m.group(1) is not None:
            tokens.append(("value", f'"{m.group(1)}"'))
        elif m.group(2):
            tokens.append((m.group(2), m.group(2)))
        elif m.group(3):
            tokens.append(("value", m.group(3)))
    pos = 0

    def take(kind: str) -> str:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos][0] != kind:
            found = tokens[pos][1] if pos < len(tokens) else "the end"
            raise ValueError(f"ganesha.conf: expected {kind!r}, found {found!r}")
        pos += 1
        return tokens[pos - 1][1]

    def block_items(closing: bool) -> tuple:
        nonlocal pos
        items = []
        while pos < len(tokens) and tokens[pos][0] != "}":
            name = take("value")
            if pos < len(tokens) and tokens[pos][0] == "{":
                take("{")
                items.append((name, block_items(True)))
                take("}")
                continue
            take("=")
            values = [take("value")]
            while pos < len(tokens) and tokens[pos][0] == ",":
                take(",")
                values.append(take("value"))
            take(";")
            items.append((name, tuple(values)))
        if not closing and pos < len(tokens):
            raise ValueError("ganesha.conf: a } closes no block")
        return tuple(items)
    return block_items(False)


LIBVIRT_LINE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("[^"\\\n]*"|-?[0-9]+)\s*')


def libvirt_conf(text: str) -> tuple:
    """libvirtd.conf and qemu.conf: `name = "string"` or `name = integer`, one a line."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = LIBVIRT_LINE.fullmatch(line)
        if not m:
            raise ValueError(f"line {number} is not name = value: {line[:40]!r}")
        out.append((m.group(1), m.group(2)))
    return tuple(out)


def xml(text: str) -> tuple:
    """An XML document as (tag, attributes, text, children), recursively."""
    def walk(e) -> tuple:
        return e.tag, tuple(sorted(e.attrib.items())), (e.text or "").strip(), tuple(walk(c) for c in e)
    try:
        return walk(ET.fromstring(text))
    except ET.ParseError as e:
        raise ValueError(f"not well-formed XML: {e}") from None
