"""The attachments storage for tests, both ways it runs in production: the private folder, and S3 as a real S3 API
served in-process by moto's server mode (boto3 and django-storages talk HTTP to it; nothing of boto3 is mocked).

Import `storage_backend` (and `moto_s3`) into a test module: every test there runs once per backend.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]  # boto3 ships no types
import pytest
from moto.server import ThreadedMotoServer

CREDENTIALS = {"aws_access_key_id": "portal-test", "aws_secret_access_key": "portal-test", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """An S3 endpoint on a free port for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_storage(endpoint: str, bucket: str) -> dict[str, Any]:
    """The STORAGES entry settings.py builds from ATTACHMENTS_S3_*, pointed at `endpoint`."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": CREDENTIALS["region_name"],
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "location": "attachments",
            "default_acl": None,
            "querystring_auth": False,
            "file_overwrite": True,
        },
    }


@pytest.fixture(params=["filesystem", "s3"])
def storage_backend(request: pytest.FixtureRequest, settings: Any) -> str:
    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_s3")
        bucket = f"portal-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=bucket)
        settings.STORAGES = {**settings.STORAGES, "attachments": s3_storage(endpoint, bucket)}
    return str(request.param)
