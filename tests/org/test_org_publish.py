"""make org-publish: the packaged zips and member template into every Region's bucket, on moto S3
(botocore validates each request against the S3 model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from org.package import PackagingError, package
from org.publish import bucket_name, member_template_key, publish
from tests.org.sample_app import write_app

PREFIX = "acme-backup-artifacts"
REGIONS = ["us-east-1", "eu-west-1"]


def _client(region: str) -> Any:
    return boto3.client("s3", region_name=region)


def _create_bucket(region: str, name: str | None = None) -> None:
    configuration = {} if region == "us-east-1" else {"LocationConstraint": region}
    _client(region).create_bucket(
        Bucket=name or bucket_name(PREFIX, region),
        **({"CreateBucketConfiguration": configuration} if configuration else {}),
    )


@pytest.fixture
def packaged(tmp_path: Path) -> Path:
    package(write_app(tmp_path / "app"), tmp_path / "out")
    return tmp_path / "out"


@pytest.fixture
def s3() -> Iterator[None]:
    with mock_aws():
        for region in REGIONS:
            _create_bucket(region)
        yield


def _keys(region: str) -> set[str]:
    listed = _client(region).list_objects_v2(Bucket=bucket_name(PREFIX, region))
    return {item["Key"] for item in listed.get("Contents", [])}


@pytest.mark.usefixtures("s3")
def test_every_region_gets_every_zip_and_the_member_template(packaged: Path) -> None:
    # When the package is published to two Regions
    report = publish(PREFIX, REGIONS, _client, packaged)
    # Then each Region's bucket holds the two zips and the member template, under their hashes
    manifest = json.loads((packaged / "manifest.json").read_text())
    expected = {e["zip"] for e in manifest["artifacts"]}
    expected.add(member_template_key(manifest["template"]["sha256"]))
    for region in REGIONS:
        assert _keys(region) == expected
    assert len(report.uploaded) == 2 * len(expected)


@pytest.mark.usefixtures("s3")
def test_each_object_carries_its_sha256(packaged: Path) -> None:
    publish(PREFIX, REGIONS[:1], _client, packaged)
    bucket = bucket_name(PREFIX, REGIONS[0])
    for key in _keys(REGIONS[0]):
        head = _client(REGIONS[0]).head_object(Bucket=bucket, Key=key)
        assert key.removeprefix("member-template-").split(".")[0] == head["Metadata"]["sha256"]


@pytest.mark.usefixtures("s3")
def test_publishing_again_uploads_nothing(packaged: Path) -> None:
    # Given a package already published
    first = publish(PREFIX, REGIONS, _client, packaged)
    # When published again / Then every object is recognised by its hash and skipped
    second = publish(PREFIX, REGIONS, _client, packaged)
    assert second.uploaded == []
    assert sorted(second.skipped) == sorted(first.uploaded)


@pytest.mark.usefixtures("s3")
def test_the_template_url_is_the_regions_bucket(packaged: Path) -> None:
    report = publish(PREFIX, REGIONS, _client, packaged)
    url = report.template_urls["eu-west-1"]
    assert url.startswith(f"https://{PREFIX}-eu-west-1.s3.eu-west-1.amazonaws.com/member-template-")


@pytest.mark.usefixtures("s3")
def test_an_object_with_the_same_key_and_another_hash_is_never_overwritten(packaged: Path) -> None:
    # Given a zip's key already taken by other bytes
    publish(PREFIX, REGIONS[:1], _client, packaged)
    bucket = bucket_name(PREFIX, REGIONS[0])
    key = next(k for k in _keys(REGIONS[0]) if k.endswith(".zip"))
    _client(REGIONS[0]).put_object(Bucket=bucket, Key=key, Body=b"x", Metadata={"sha256": "0" * 64})
    # When published again / Then it fails loudly, and the object is left as it is
    with pytest.raises(PackagingError, match="never overwritten"):
        publish(PREFIX, REGIONS[:1], _client, packaged)
    assert _client(REGIONS[0]).get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"


def test_a_bucket_in_another_region_is_refused(packaged: Path) -> None:
    # Given <prefix>-eu-west-1 created in us-east-1 (Lambda in eu-west-1 could not read it)
    with mock_aws():
        _create_bucket("us-east-1", bucket_name(PREFIX, "eu-west-1"))
        with pytest.raises(PackagingError, match="is in us-east-1, not eu-west-1"):
            publish(PREFIX, ["eu-west-1"], _client, packaged)


def test_publishing_without_a_package_fails(tmp_path: Path) -> None:
    with mock_aws(), pytest.raises(FileNotFoundError):
        publish(PREFIX, REGIONS, _client, tmp_path / "nothing")
