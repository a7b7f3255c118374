"""Schema fuzzing (schemathesis) over /openapi.json, as two roles: every operation with a bounded number of generated
requests, none of which may get a 5xx. Derandomized, so it runs the same every time and on every worker.
(Driven through Hypothesis directly: schemathesis's pytest fixture integration does not run under pytest 9.)"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from auditor.services import accounts

EXAMPLES = 8  # generated requests per operation and role


@pytest.fixture
def organisation(make_organisation, make_audit):
    """A little data for the generated ids to hit: an organisation with an audit."""
    organisation = make_organisation()
    make_audit(organisation=organisation)
    return organisation


def server_errors(app, token: str) -> list[str]:
    """Every operation of the app's own OpenAPI document, EXAMPLES generated requests each: the ones answered 5xx."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        except Exception as error:  # the falsifying example, shrunk by Hypothesis
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:600]}")
    return failures


def test_no_operation_answers_an_admin_with_a_server_error(app, admin, organisation, session):
    token = accounts.create_token(session=session, user=admin, name="fuzz")[1]
    assert server_errors(app, token) == []


def test_no_operation_answers_a_quality_manager_with_a_server_error(app, make_user, organisation, session):
    token = accounts.create_token(
        session=session, user=make_user("quality_manager", organisation=organisation), name="fuzz"
    )[1]
    assert server_errors(app, token) == []
