"""What "good" looks like, in the words of the CopyStatusDashboard (template.yaml).

Each text is copied verbatim from a dashboard text widget or an alarm description, so the offline
report and the dashboard explain the same figures the same way; a test keeps them equal.
Markdown: only ``**bold**``.
"""

from __future__ import annotations

OVERVIEW = (
    "Every recovery point in a source vault must end with a **verified key-independent copy** "
    "(in the logically air-gapped vault, or the vault under the AWS managed key) or an explained "
    "skip. **Good:** coverage 100 %, oldest unprotected far below the alarm line, no failed or "
    "key-dependent copies, queues drained and dead-letter queues empty, no Lambda errors or "
    "throttles.",
)
COVERAGE = (
    "**Good:** protected = in scope minus unprotectable (continuous, cold or never-copyable "
    "types, each counted with its reason); failed and key-dependent at 0; in-flight back to 0 a "
    "few hours after the backup window. A copy that AWS reports as completed but is still under "
    "a customer key counts as key-dependent, never as protected.",
)
OLDEST_UNPROTECTED = (
    "**Good:** coverage 100 %, oldest unprotected far below the alarm line",
    "First: run copyctl status to see which one and why (failed, stuck, key-dependent, or never "
    "seen), fix the cause, then run the reconciler.",
)
COPIES = (
    "**Decisions** (copy function, one per completed backup): copy-to-lag, copy-to-managed, "
    "copy-to-service-key and copy-to-dr-service-key start copies, skip-* are explained skips "
    "(skip-no-service-key-vault: deploy the vault it names).",
    "**Results** (tracking function, one per copy job event): good = every started copy ends "
    "protected; key-dependent and failed stay at 0; retried and fell-back heal themselves but "
    "deserve a look when they grow.",
)
FAILURES = (
    "A copy failed for good (retries exhausted, or a failure that retrying cannot fix): its "
    "recovery point has no key-independent copy.",
    "**Failures** are the failed copy jobs the tracking acted on, by kind",
    "key-dependent and failed stay at 0",
)
UNPROTECTED = OLDEST_UNPROTECTED[1:]

# Dashboard widget titles the report's charts show the same figure as.
COVERAGE_TITLE = "Coverage: protected of in scope (%)"
STATES_TITLE = "Recovery points by state"
OLDEST_TITLE = "Oldest unprotected recovery point (hours)"
DECISIONS_TITLE = "Decisions by reason"
RESULTS_TITLE = "Copy job results by outcome"
FAILURES_TITLE = "Failed copy jobs by kind"
WIDGET_TITLES = (
    COVERAGE_TITLE,
    STATES_TITLE,
    OLDEST_TITLE,
    DECISIONS_TITLE,
    RESULTS_TITLE,
)
# What only the dashboard has: CloudWatch's own metrics and the logs.
DASHBOARD_ONLY = (
    "queue backlog and age of the oldest message, dead-letter queue depth, Lambda errors, "
    "throttles and duration, AWS/Backup copy job counts, reconciler runs, key guard events, "
    "rejected records and the Logs Insights table of the latest failures"
)
