"""Schema-driven tests: schemathesis generates requests from the app's own OpenAPI document and calls the WSGI app
with an admin key. Every answer must be a non-5xx, with a documented status code, content type and body shape."""
import atexit
import shutil
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                status_code_conformance)

from factcheck import create_app, keys
from factcheck.ingest import ingest_records

from .conftest import SEED_SOURCES

_workdir = tempfile.mkdtemp(prefix="factcheck-fuzz-")
atexit.register(shutil.rmtree, _workdir, ignore_errors=True)

app = create_app({"store_url": f"sqlite:///{_workdir}/fc.db", "elasticsearch_url": None, "load_demo": False,
                  "admin_db": f"{_workdir}/admin.db", "rate_limit": "0", "allow_private_urls": False,
                  "TESTING": True})
ingest_records(app.extensions["factcheck_store"], SEED_SOURCES, app.extensions["factcheck_config"])
_, ADMIN_KEY = keys.create_key(f"{_workdir}/admin.db", "fuzz", "admin")
HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    case.call_and_validate(headers=HEADERS, checks=CHECKS)
