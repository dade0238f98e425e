"""The only modules that import boto3: they translate between AWS shapes and the domain."""
