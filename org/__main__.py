"""``python -m org package`` (make org-package) and ``python -m org publish`` (make org-publish)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from org.package import OUTPUT, TEMPLATE, PackagingError, package


def _package(args: argparse.Namespace) -> int:
    packaged = package(args.template, args.output)
    print(f"member template: {packaged.template_path} ({packaged.manifest['template']['sha256']})")
    for entry in packaged.manifest["artifacts"]:
        users = ", ".join(entry["resources"])
        print(f"  {entry['zip']}  {entry['bytes']:>10,} bytes  {users}")
    print(f"manifest: {args.output / 'manifest.json'}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - only publishing talks to AWS

    from org.publish import publish  # noqa: PLC0415

    regions = [region.strip() for region in args.regions.split(",") if region.strip()]
    report = publish(
        args.bucket_prefix,
        regions,
        lambda region: boto3.client("s3", region_name=region),
        args.output,
    )
    for item in report.uploaded:
        print(f"uploaded  s3://{item}")
    for item in report.skipped:
        print(f"unchanged s3://{item}")
    for region, url in report.template_urls.items():
        print(f"TemplateURL ({region}): {url}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m org", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    packaging = commands.add_parser("package", help="template.yaml -> build/org (offline)")
    packaging.add_argument("--template", type=Path, default=TEMPLATE)
    packaging.add_argument("--output", type=Path, default=OUTPUT)
    packaging.set_defaults(run=_package)
    publishing = commands.add_parser("publish", help="build/org -> <prefix>-<region> buckets")
    publishing.add_argument("--bucket-prefix", required=True, help="ArtifactBucketPrefix")
    publishing.add_argument("--regions", required=True, help="comma-separated Regions")
    publishing.add_argument("--output", type=Path, default=OUTPUT)
    publishing.set_defaults(run=_publish)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the SAM translator's metrics chatter
    try:
        return int(args.run(args))
    except PackagingError as error:
        print(f"org {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
