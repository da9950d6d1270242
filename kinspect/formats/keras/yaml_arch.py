"""`keras-yaml`: a Keras 1/2 architecture written by `model.to_yaml()`.

Keras 2 wrote tuples as `!!python/tuple`; safe_yaml reads them as lists and refuses every other
python tag, so opening never constructs a Python object. Neither Keras 3 nor tf_keras can read
these files any more (`model_from_yaml` was removed for security).
"""

from __future__ import annotations

import re

from ...model import Document
from ...progress import NO_PROGRESS, Progress
from ..containers.probe import Probe
from ..reader import FormatReader
from .json_arch import document_from_arch, read_text

ID = "keras-yaml"
LABEL = "Keras architecture (YAML)"
_KEY = re.compile(r"^class_name:\s*\S", re.MULTILINE)


def match(probe: Probe) -> bool:
    text = probe.text_head()
    if not text or text.lstrip().startswith(("{", "[")):
        return False
    return bool(_KEY.search(text)) and re.search(r"^config:", text, re.MULTILINE) is not None


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    from ..containers import safe_yaml  # PyYAML is imported only when a YAML file is opened

    progress.step(0.0, "reading YAML")
    data = safe_yaml.load(read_text(path))
    return document_from_arch(path, ID, data, "to_yaml")


READER = FormatReader(ID, LABEL, match, read)
