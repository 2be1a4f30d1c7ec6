"""When a service a test needs (Elasticsearch, the browser, the shared data) is missing: skip on a developer's
machine, fail under CI (CI=true, as .ci/run sets it), so that CI never passes without running them."""
import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(message: str):
    """Skip the test, or fail it under CI."""
    if under_ci():
        pytest.fail(message)
    pytest.skip(message)
