"""``make org-publish``: the packaged zips and member template into every Region's artifact bucket.

Lambda reads a function's code only from a bucket "in the same AWS Region as your function"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html),
so every Region a stack set deploys to has its own bucket, ``<prefix>-<region>``, holding the same
objects. Keys are content hashes: an object already there under its key with the same SHA-256 is
skipped (publishing twice uploads nothing), one with another hash is an error, never overwritten.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.package import OUTPUT, PackagingError, load_package

HASH_METADATA = "sha256"  # x-amz-meta-sha256 on every object this tool uploads


@dataclass
class PublishReport:
    uploaded: list[str] = field(default_factory=list)  # "bucket/key"
    skipped: list[str] = field(default_factory=list)
    template_urls: dict[str, str] = field(default_factory=dict)  # Region -> member template URL


def member_template_key(template_sha256: str) -> str:
    """The member template's key: content-addressed like the zips (org/template.yaml's
    MemberTemplateKey parameter)."""
    return f"member-template-{template_sha256}.json"


def bucket_name(prefix: str, region: str) -> str:
    return f"{prefix}-{region}"


def _bucket_region(s3: Any, bucket: str) -> str:
    # "Buckets in Region us-east-1 have a LocationConstraint of null."
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return str(location or "us-east-1")


def _stored_hash(s3: Any, bucket: str, key: str) -> str | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return str(head.get("Metadata", {}).get(HASH_METADATA, ""))


def _put(s3: Any, bucket: str, key: str, path: Path, sha256: str, *, report: PublishReport) -> None:
    stored = _stored_hash(s3, bucket, key)
    if stored == sha256:
        report.skipped.append(f"{bucket}/{key}")
        return
    if stored is not None:
        raise PackagingError(
            f"s3://{bucket}/{key} exists with SHA-256 {stored or 'unknown'}, not {sha256}: "
            "content-addressed objects are never overwritten; remove it if it is corrupt"
        )
    body = path.read_bytes()
    if hashlib.sha256(body).hexdigest() != sha256:
        raise PackagingError(f"{path} changed since it was packaged: package again")
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        Metadata={HASH_METADATA: sha256},
        # S3 checks the upload against this checksum and rejects a corrupted body.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
    )
    report.uploaded.append(f"{bucket}/{key}")


def publish(
    prefix: str,
    regions: Sequence[str],
    client_for: Callable[[str], Any],
    output: Path = OUTPUT,
) -> PublishReport:
    """Upload what ``make org-package`` wrote under ``output`` to ``<prefix>-<region>`` for each
    Region; ``client_for(region)`` gives an S3 client of that Region."""
    if not regions:
        raise PackagingError("no Region to publish to")
    packaged = load_package(output)
    manifest = packaged.manifest
    template_sha = manifest["template"]["sha256"]
    report = PublishReport()
    for region in regions:
        s3 = client_for(region)
        bucket = bucket_name(prefix, region)
        actual = _bucket_region(s3, bucket)
        if actual != region:
            raise PackagingError(f"bucket {bucket} is in {actual}, not {region}")
        for entry in manifest["artifacts"]:
            _put(
                s3,
                bucket,
                entry["zip"],
                packaged.zips[entry["zip"]],
                entry["sha256"],
                report=report,
            )
        key = member_template_key(template_sha)
        assert packaged.template_path is not None
        _put(s3, bucket, key, packaged.template_path, template_sha, report=report)
        report.template_urls[region] = f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
    return report
