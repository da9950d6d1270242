"""Raw checks that need no reader: pickles, zip entries and zip bombs, `.npy` object arrays,
YAML python tags and alias bombs.

Nothing here unpickles or constructs YAML objects: pickles are read with `pickletools.genops`
(opcode listing only), YAML is composed into nodes (tags kept, no constructor runs).
"""

from __future__ import annotations

import ast
import io
import pickletools
import zipfile
from typing import Any

from ..errors import FormatError
from ..formats.containers import bounds, safe_yaml
from ..formats.containers.probe import is_pickle_bytes
from ..formats.containers.zip_guard import check_zip_bomb, read_entry
from .findings import Finding

PICKLE_SCAN_BYTES = 1 << 20
# YAML python tags that construct only plain data, never call code.
INERT_PYTHON_TAGS = ("tuple", "unicode", "str", "bool", "int", "float", "none", "long",
                     "complex", "list", "dict", "bytes")


def pickle_globals(data: bytes) -> list[str]:
    """`module.name` of each GLOBAL / STACK_GLOBAL in the first MiB of a pickle (no unpickling)."""
    out: list[str] = []
    strings: list[str] = []
    try:
        for opcode, arg, _pos in pickletools.genops(io.BytesIO(data[:PICKLE_SCAN_BYTES])):
            if opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                out.append(arg.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                out.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
            if len(out) >= 50:
                break
    except Exception:  # noqa: BLE001 - a truncated or odd pickle: report what we have
        pass
    return list(dict.fromkeys(out))


def pickle_finding(data: bytes, where: str) -> Finding:
    names = pickle_globals(data)
    detail = "Python pickle: loading it can run any code"
    if names:
        shown = ", ".join(names[:8]) + ("…" if len(names) > 8 else "")
        detail += f"; it imports {shown}"
    return Finding("pickle", where, detail, runs_code=True)


def npy_is_object(head: bytes) -> bool:
    """True when a `.npy` header declares an object dtype (its data is a pickle)."""
    if not head.startswith(b"\x93NUMPY") or len(head) < 10:
        return False
    major = head[6]
    if major == 1:
        length, start = int.from_bytes(head[8:10], "little"), 10
    else:
        length, start = int.from_bytes(head[8:12], "little"), 12
    text = head[start:start + length].decode("latin-1", "replace")
    try:
        header = ast.literal_eval(text.strip())
        descr = header.get("descr") if isinstance(header, dict) else None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return "'O'" in text or "|O" in text
    return _descr_has_object(descr)


def _descr_has_object(descr: Any) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("|<>=") .startswith("O")
    if isinstance(descr, list):
        return any(isinstance(f, (list, tuple)) and len(f) >= 2 and _descr_has_object(f[1])
                   for f in descr)
    return False


def scan_zip(path: str) -> tuple[list[Finding], bytes | None]:
    """Findings in a zip's entries, and the bytes of `config.json` when present."""
    findings: list[Finding] = []
    config: bytes | None = None
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            bomb = check_zip_bomb(infos)
            if bomb is not None:
                raise FormatError(bomb, path)
            for info in infos:
                if info.is_dir():
                    continue
                with z.open(info) as entry:
                    head = entry.read(4096)
                name = info.filename
                if is_pickle_bytes(head) or name.endswith((".pkl", ".pickle")):
                    with z.open(info) as entry:
                        data = entry.read(PICKLE_SCAN_BYTES)
                    findings.append(pickle_finding(data, f"zip entry {name}"))
                elif npy_is_object(head):
                    findings.append(Finding(
                        "pickle", f"zip entry {name}",
                        "numpy object array: its data is a pickle; loading it with "
                        "allow_pickle=True can run any code", runs_code=True))
                elif name == "config.json":
                    config = read_entry(z, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise FormatError(f"broken zip archive: {exc}", path) from exc
    return findings, config


def yaml_scan(text: str, where: str) -> tuple[list[Finding], Any]:
    """Python tags in a YAML document, and its data as plain Python (tags ignored).

    Size, depth and node count are measured first from libyaml's flat event stream
    (bounds.check_yaml), so the C composer, which recurses without a depth check, only sees
    bounded input. Aliases are shared, never expanded; an alias bomb is refused by safe_yaml's
    expansion guard.
    """
    import yaml

    bounds.check_yaml(text, where)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except RecursionError as exc:
        raise FormatError("YAML nests too deeply to read") from exc
    except yaml.YAMLError as exc:
        raise FormatError(f"not valid YAML: {' '.join(str(exc).split())[:200]}") from exc
    if root is None:
        return [], None
    safe_yaml.check_expansion(root)
    findings = [Finding("yaml-python-tag", f"{where} line {line}",
                        f"YAML tag {tag}: a full YAML loader would import and call Python code",
                        runs_code=True)
                for tag, line in safe_yaml.python_tags(root)
                # Inert ones (python/tuple: every Keras 2 YAML has them) are not findings.
                if not tag[len("!!python/"):].startswith(INERT_PYTHON_TAGS)]
    return findings, _yaml_plain(root)


def _yaml_plain(node: Any) -> Any:
    """Node tree -> dicts/lists/strings. Bounded: only after the expansion check, and no
    deeper than the composer (which recurses further per level) managed to go."""
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return [_yaml_plain(c) for c in node.value]
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = _yaml_plain(k)
            if isinstance(key, (str, int, float, bool)) or key is None:
                out[key] = _yaml_plain(v)
        return out
    return node.value
