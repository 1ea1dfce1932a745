"""Issue 12 part 4: evidence on S3-compatible storage with Object Lock, against a real
S3-compatible server (moto's standalone server) started on 127.0.0.1 by the test."""

from __future__ import annotations

import io
import json
import os
import socket

import pytest
from botocore.exceptions import ClientError

from vestige.cli import main
from vestige.errors import ConfigurationError
from vestige.evidence import blobstore, objectstore
from vestige.evidence import services as evidence
from vestige.evidence.models import CustodyEvent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings, monkeypatch, request):
    """A fresh bucket created as an operator would (Object Lock on), Vestige pointed at it."""
    import boto3

    for k, v in {"AWS_ENDPOINT_URL": s3_server, "AWS_DEFAULT_REGION": "eu-central-1",
                 "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    objectstore._client.cache_clear()
    objectstore._checked.clear()
    bucket = f"evidence-{request.node.name[-20:].lower().replace('_', '-')}-{os.getpid()}"
    c = boto3.client("s3")
    c.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True,
                    CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    settings.VESTIGE_BLOB_STORE = f"s3://{bucket}/vestige"
    yield c, bucket
    objectstore._client.cache_clear()
    objectstore._checked.clear()


def test_a_bucket_without_object_lock_is_refused(s3, settings, examiner):
    c, _bucket = s3
    c.create_bucket(Bucket="plain-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    settings.VESTIGE_BLOB_STORE = "s3://plain-bucket/x"
    with pytest.raises(ConfigurationError, match="no Object Lock"):
        evidence.ingest(examiner, io.BytesIO(b"a photo"), "a.jpg")
    assert not evidence.EvidenceItem.objects.exists()  # nothing recorded for a blob not kept
    assert main(["serve", "--port", "1"]) == 7  # and the server does not start


def test_evidence_round_trips_through_the_bucket_locked_in_compliance_mode(s3, examiner, client):
    c, bucket = s3
    item = evidence.ingest(examiner, io.BytesIO(b"drone frame " * 1000), "frame.bin").item
    key = objectstore.key_for(item.blob.sha256)
    assert key == f"vestige/sha256/{item.blob.sha256[7:9]}/{item.blob.sha256[9:11]}/{item.blob.sha256[7:]}"
    obj = c.get_object(Bucket=bucket, Key=key)
    assert obj["Body"].read() == b"drone frame " * 1000
    ret = objectstore.retention(item.blob.sha256)
    assert ret["mode"] == "COMPLIANCE"
    entry = json.loads(CustodyEvent.objects.get(item=item, kind="stored").data)
    stored = entry["details"]
    assert stored["object"] == f"s3://{bucket}/{key}" and stored["lock"] == "COMPLIANCE"
    assert evidence.verify(examiner, [item.ref]) == []  # re-hashed from the bucket
    # The local cache lost the file: the download is fetched again from the bucket, checked.
    os.chmod(blobstore.path_for(item.blob.sha256), 0o600)
    os.unlink(blobstore.path_for(item.blob.sha256))
    client.force_login(examiner)
    got = client.get(f"/evidence/{item.ref}/download/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"drone frame " * 1000


def test_object_lock_refuses_deletion_and_verify_names_a_replaced_object(s3, examiner):
    c, bucket = s3
    item = evidence.ingest(examiner, io.BytesIO(b"original statement"), "statement.pdf").item
    key = objectstore.key_for(item.blob.sha256)
    version = c.head_object(Bucket=bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as e:  # compliance mode: not even the bucket's owner may delete it
        c.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # Someone with the keys puts other bytes under the same name: a new version, the locked one
    # stays; Vestige re-hashes what the bucket now serves and says so.
    c.put_object(Bucket=bucket, Key=key, Body=b"forged statement")
    problems = evidence.verify(examiner, [item.ref])
    assert problems and "changed" in problems[0]
    old = c.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
    assert old == b"original statement"


def test_a_large_file_is_uploaded_in_parts_with_checksums(s3, examiner, tmp_path):
    c, bucket = s3
    data = os.urandom(objectstore.MULTIPART + 1_500_000)
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    item = evidence.ingest_paths(examiner, [path])[0].item
    head = c.head_object(Bucket=bucket, Key=objectstore.key_for(item.blob.sha256), ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data) and "-" in head["ETag"]  # a multipart object
    assert evidence.verify(examiner, [item.ref]) == []


def test_migrate_store_copies_local_blobs_and_proves_each(s3, settings, examiner, capsys):
    store = settings.VESTIGE_BLOB_STORE
    settings.VESTIGE_BLOB_STORE = ""  # evidence taken in before the bucket existed
    items = [evidence.ingest(examiner, io.BytesIO(f"photo {i}".encode()), f"p{i}.jpg").item for i in range(3)]
    settings.VESTIGE_BLOB_STORE = store
    assert all(objectstore.head(i.blob.sha256) is None for i in items)
    assert main(["evidence", "migrate-store"]) == 0
    out = capsys.readouterr().out
    assert "3 copied, 0 already in the bucket, 3 proved" in out
    assert all(objectstore.retention(i.blob.sha256)["mode"] == "COMPLIANCE" for i in items)
    assert main(["evidence", "migrate-store"]) == 0
    assert "0 copied, 3 already in the bucket, 3 proved" in capsys.readouterr().out
    settings.VESTIGE_BLOB_STORE = ""
    assert main(["evidence", "migrate-store"]) == 7  # not configured: a configuration error
