from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    from tests.compare.builders import build

    return build(tmp_path_factory.mktemp("compare"))
