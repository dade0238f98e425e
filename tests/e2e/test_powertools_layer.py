"""Issue 12, item 5: the deployed functions' Powertools layer holds the tested Powertools release.

Which version number of the public layer AWSLambdaPowertoolsPythonV3-python313-arm64 holds which
Powertools release is not documented in a form the offline tests can read. The template pairs
them (Metadata ``PowertoolsLayer``); this test checks the pair in a real account: the Powertools
layer that the stack's functions run with is read with Lambda GetLayerVersionByArn
(https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionByArn.html), and its
Description must name the Powertools release of the template's pair (the lock's). The
Description's wording (today "Powertools for AWS Lambda (Python) V3 [arm64 - Python 3.13] with
extra dependencies version X.Y.Z") is not a documented format: only the version string is checked.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from tests.template_loader import load_template

pytestmark = pytest.mark.e2e

POWERTOOLS_LAYER_NAME = ":layer:AWSLambdaPowertoolsPythonV3-python313-arm64:"


def _function_layers(stack: str) -> dict[str, list[str]]:
    """Each function of the stack -> the layer version ARNs it runs with."""
    cloudformation = boto3.client("cloudformation")
    functions = boto3.client("lambda")
    layers: dict[str, list[str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] != "AWS::Lambda::Function":
                continue
            name = resource["PhysicalResourceId"]
            configuration = functions.get_function_configuration(FunctionName=name)
            layers[name] = [layer["Arn"] for layer in configuration.get("Layers", [])]
    return layers


def test_given_a_deployed_stack_its_powertools_layer_holds_the_tested_release(stack: str) -> None:
    # Given the tested pair of the template and the layers the deployed functions run with
    pair: dict[str, Any] = load_template()["Metadata"]["PowertoolsLayer"]
    tested = str(pair["PowertoolsVersion"])
    layers = _function_layers(stack)
    assert layers, f"no function in stack {stack}"
    powertools = {arn for arns in layers.values() for arn in arns if POWERTOOLS_LAYER_NAME in arn}
    assert len(powertools) == 1, f"one Powertools layer for all functions, got {powertools}"
    arn = powertools.pop()
    # When Lambda describes that layer version
    description = boto3.client("lambda").get_layer_version_by_arn(Arn=arn).get("Description", "")
    # Then its description names the Powertools release the tests run with
    assert re.search(rf"(?<![\d.]){re.escape(tested)}(?![\d.])", description), (
        f"{arn} is described as {description!r}, not Powertools {tested}"
    )
