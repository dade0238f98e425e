# Every target bootstraps its own virtual environment from the pinned lock file.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= $(REGION)

.PHONY: test lint types validate scan pytest demo build bench lock clean org-package org-publish

$(STAMP): requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## test: lint, types, template validation and the whole pytest suite (what CI runs)
test: lint types validate scan pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

types: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/sam validate --lint --region $(REGION) --template template.yaml
	$(BIN)/cfn-lint template.yaml org/template.yaml org/monitoring.yaml

# checkov lives in its own environment: its pins (boto3, packaging) clash with the dev lock.
# Every suppression is justified in place, in the resource's Metadata (checkov: skip).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

scan: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --file org/template.yaml --file org/monitoring.yaml --framework cloudformation --skip-download \
	  --compact --quiet

# pytest exits 5 when it collected no test: that must fail loudly, never pass.
pytest: $(STAMP)
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

## demo: one simulated day on the local AWS Backup emulator through the real handlers; prints the
## copy-status report, exits 1 if a promise is broken. Options (python -m demo --help):
##   make demo DEMO_ARGS="--seed 7 --resources 80 --faults flaky --json reports/demo.json"
##   make demo DEMO_ARGS="--html reports/demo.html"   (the dashboard's figures, offline)
demo: $(STAMP)
	$(BIN)/python -m demo $(DEMO_ARGS)

## bench: measurements as ratios to baselines taken in the same run, a table plus
## bench/results/latest.json; never part of `make test`, always exits 0. Options (python -m bench --help):
##   make bench BENCH_ARGS="--quick"    make bench BENCH_ARGS="--only cold,warm --burst 2000"
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## build: sam build. The functions' code needs no build; SdkLayer (boto3, botocore at the lock's
## versions; Powertools comes from its public layer) is built by layers/sdk/Makefile with this venv's pip,
## from wheels for python3.13/arm64: no python3.13 binary, no Docker, no AWS account needed.
build: $(STAMP)
	LAYER_PYTHON="$(abspath $(BIN)/python)" $(BIN)/sam build --template template.yaml

## org-package: template.yaml -> build/org/ (offline): the member template of the stack sets as plain
## CloudFormation, each function's and layer's code as a zip named by its SHA-256, manifest.json.
## The layer is built by layers/sdk/Makefile as `sam build` would. README: "Deploy across an organization".
org-package: $(STAMP)
	LAYER_PYTHON="$(abspath $(BIN)/python)" $(BIN)/python -m org package

## org-publish: build/org/ -> s3://<ARTIFACT_BUCKET_PREFIX>-<region>/ for each of ORG_REGIONS (AWS
## credentials of the account holding the buckets); idempotent. Prints the member TemplateURL.
##   make org-publish ARTIFACT_BUCKET_PREFIX=acme-backup-artifacts ORG_REGIONS=us-east-1,us-west-2
org-publish: $(STAMP)
	$(BIN)/python -m org publish --bucket-prefix "$(ARTIFACT_BUCKET_PREFIX)" --regions "$(ORG_REGIONS)"

lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -e '.[dev]'
	( echo '# Full lock of the development environment (Python 3.11). Regenerate with `make lock`.'; \
	  /tmp/lock-venv/bin/pip freeze --exclude-editable | grep -vE '^(pip|setuptools|wheel)==' ) > requirements-dev.txt

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam build .pytest_cache .mypy_cache .ruff_cache
