"""What a reader is: the typed protocol the registry, the converter and the UI rely on.

Each reader module keeps plain functions (`match` is cheap and reads only the probe; `read`
builds the Document) and publishes them as one `FormatReader` object named `READER`. The
registry imports reader modules lazily, in order, and hands out these objects, never modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..model import Document
from ..progress import NO_PROGRESS, Progress
from .containers.probe import Probe


class Reader(Protocol):
    """A format kinspect can open: its id (`kinspect info`'s `format`), a label for people,
    a cheap content check and the reader itself."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    def match(self, probe: Probe) -> bool: ...

    def read(self, path: str, progress: Progress = NO_PROGRESS) -> Document: ...


@dataclass(frozen=True)
class FormatReader:
    """A `Reader` made of a module's functions."""

    id: str
    label: str
    match: Callable[[Probe], bool]
    read: Callable[..., Document]
