"""Evidence blobs on S3-compatible object storage with Object Lock (extra ``[s3]``, boto3).

``VESTIGE_BLOB_STORE=s3://bucket/prefix`` makes the bucket the store of record; the endpoint,
region and credentials come from the standard variables (``AWS_ENDPOINT_URL``,
``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``), so AWS, MinIO, Ceph
or any S3-compatible server works the same. The bucket is the operator's, created with Object
Lock enabled: Vestige refuses to use one without it.

- Keys are content-addressed as on disk: ``prefix/sha256/ab/cd/<hex>``.
- An upload is streamed (multipart above 16 MiB) with SHA-256 checksums that the store checks
  (the whole object's for a single part, each part's for multipart); afterwards the stored
  object's checksum is read back and compared with the hash Vestige computed while receiving.
- Each object is locked in **compliance mode** until ``now + VESTIGE_S3_RETENTION_DAYS``: nobody,
  not even the bucket's owner, can delete or overwrite that version before then.
- An object already there is never written again (write-once); reads and ``verify`` use the
  bucket, so a blob replaced behind Vestige's back is reported, not trusted.

The local folder ``$VESTIGE_HOME/blobs`` stays as a working cache (intake reads its files;
pages and bags are served from it and refilled from the bucket when a cached file is gone).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import BinaryIO
from urllib.parse import urlparse

from django.conf import settings
from django.utils.translation import gettext as _

from vestige.errors import ConfigurationError, IntegrityFailure
from vestige.evidence import blobstore
from vestige.evidence.models import Blob
from vestige.media import hash_stream

MULTIPART = 16 * 1024 * 1024


def configured() -> bool:
    return str(getattr(settings, "VESTIGE_BLOB_STORE", "") or "").startswith("s3://")


def _location() -> tuple[str, str]:
    url = urlparse(settings.VESTIGE_BLOB_STORE)
    if url.scheme != "s3" or not url.netloc:
        raise ConfigurationError(_("VESTIGE_BLOB_STORE must look like s3://bucket/prefix, not %(v)r.")
                                 % {"v": settings.VESTIGE_BLOB_STORE})
    prefix = url.path.strip("/")
    return url.netloc, (prefix + "/" if prefix else "")


@functools.lru_cache(maxsize=4)
def _client(endpoint: str, region: str):
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigurationError(_("VESTIGE_BLOB_STORE is an S3 bucket: install the extra, pip install "
                                   "'vestige[s3]'.")) from None
    return boto3.client("s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}))


def client():
    import os
    return _client(os.environ.get("AWS_ENDPOINT_URL", ""), os.environ.get("AWS_DEFAULT_REGION", ""))


_checked: set[str] = set()


def check_bucket() -> None:
    """Refuse a bucket without Object Lock (checked once per process, and by ``vestige serve``)."""
    bucket, _prefix = _location()
    if bucket in _checked:
        return
    from botocore.exceptions import BotoCoreError, ClientError
    try:
        conf = client().get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code in ("ObjectLockConfigurationNotFoundError", "InvalidRequest"):
            conf = {}
        else:
            raise ConfigurationError(_("The evidence bucket %(b)s cannot be reached: %(e)s") % {"b": bucket, "e": e}) \
                from None
    except BotoCoreError as e:
        raise ConfigurationError(_("The evidence bucket %(b)s cannot be reached: %(e)s") % {"b": bucket, "e": e}) \
            from None
    if conf.get("ObjectLockEnabled") != "Enabled":
        raise ConfigurationError(_("The bucket %(b)s has no Object Lock: evidence could be overwritten or deleted. "
                                   "Create the bucket with Object Lock enabled (it cannot be turned on later "
                                   "on most servers).") % {"b": bucket})
    _checked.add(bucket)


def key_for(sha256: str) -> str:
    hexd = sha256.removeprefix("sha256:")
    _bucket, prefix = _location()
    return f"{prefix}sha256/{hexd[:2]}/{hexd[2:4]}/{hexd}"


def url_for(sha256: str) -> str:
    """``s3://bucket/key`` of the blob."""
    bucket, _prefix = _location()
    return f"s3://{bucket}/{key_for(sha256)}"


def _b64(sha256: str) -> str:
    return base64.b64encode(bytes.fromhex(sha256.removeprefix("sha256:"))).decode()


def head(sha256: str) -> dict | None:
    from botocore.exceptions import ClientError
    bucket, _prefix = _location()
    try:
        return client().head_object(Bucket=bucket, Key=key_for(sha256), ChecksumMode="ENABLED")
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def put_file(sha256: str, path, size: int) -> bool:
    """Upload the blob at ``path`` (its hash ``sha256``) unless the bucket holds it; True when written."""
    from boto3.s3.transfer import TransferConfig
    check_bucket()
    bucket, _prefix = _location()
    if head(sha256) is not None:
        return False
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.VESTIGE_S3_RETENTION_DAYS)
    extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until, "ChecksumAlgorithm": "SHA256",
             "Metadata": {"sha256": sha256.removeprefix("sha256:")}}
    if size < MULTIPART:  # one part: the store checks the whole object's SHA-256 against ours
        with open(path, "rb") as f:
            client().put_object(Bucket=bucket, Key=key_for(sha256), Body=f, ChecksumSHA256=_b64(sha256), **extra)
    else:  # streamed in parts, each part's SHA-256 checked by the store
        client().upload_file(str(path), bucket, key_for(sha256), ExtraArgs=extra,
                             Config=TransferConfig(multipart_threshold=MULTIPART, multipart_chunksize=MULTIPART))
    stored = head(sha256)
    if stored is None or stored.get("ContentLength") != size:
        raise IntegrityFailure(_("The bucket did not keep %(h)s whole.") % {"h": sha256})
    got = stored.get("ChecksumSHA256", "")
    if size < MULTIPART and got and got != _b64(sha256):
        raise IntegrityFailure(_("The bucket's checksum of %(h)s is not ours.") % {"h": sha256})
    return True


def open_blob(sha256: str) -> BinaryIO:
    bucket, _prefix = _location()
    return client().get_object(Bucket=bucket, Key=key_for(sha256))["Body"]


def retention(sha256: str) -> dict:
    """The object's lock as the store reports it (from HEAD: every S3 server answers it)."""
    h = head(sha256) or {}
    return {"mode": h.get("ObjectLockMode"), "until": h.get("ObjectLockRetainUntilDate")}


def migrate(progress=None) -> dict:
    """Copy every local blob into the bucket and prove each copy by re-hashing it from the bucket.
    Returns counts and the problems (a blob missing on both sides, a copy whose hash differs)."""

    check_bucket()
    counts = {"copied": 0, "already": 0, "proved": 0, "problems": []}
    blobs = list(Blob.objects.order_by("pk").values_list("sha256", "size"))
    for i, (sha256, size) in enumerate(blobs, 1):
        path = blobstore.path_for(sha256)
        if head(sha256) is None:
            if not path.exists():
                counts["problems"].append(f"{sha256}: not in the local store nor in the bucket")
                continue
            put_file(sha256, path, size)
            counts["copied"] += 1
        else:
            counts["already"] += 1
        body = open_blob(sha256)
        try:
            got = hash_stream(body)
        finally:
            body.close()
        if got.sha256 != sha256 or got.size != size:
            counts["problems"].append(f"{sha256}: the bucket's copy has {got.sha256}, {got.size} bytes")
        else:
            counts["proved"] += 1
        if progress:
            progress(i, len(blobs))
    return counts
