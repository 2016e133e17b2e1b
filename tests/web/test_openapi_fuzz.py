"""Schemathesis against the app's own OpenAPI description: generated requests to every
operation (administration included, with a host that allows everything) and no 5xx.

Half of the generated cases get the ids of real records in their path, so the run goes
past "not found" into the handlers and the modules behind them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.web.conftest import allow_all
from tests.web.helpers import open_code_poll, open_dossier, open_petition, seed_areas

EXAMPLES = 25


def test_no_server_errors(p: Participatie, clock: FixedClock) -> None:
    # The same database, with a small cap on voting codes so a generated "count" of half
    # a million does not spend the run making codes.
    p = make_participatie(
        p.settings.database_url, engine=p.engine, clock=clock, polls={"max_codes_per_issue": 50}
    )
    seed_areas(p)
    known = {
        "petition": str(open_petition(p).id),
        "poll": str(open_code_poll(p)[0].id),
        "dossier": str(open_dossier(p).id),
        "area": "paddepoel",
    }
    app = create_app(p, authorize=allow_all)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(), real=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any, real: bool) -> None:
            if real and case.path_parameters:
                for name in case.path_parameters:
                    if name in known:
                        case.path_parameters[name] = known[name]
            response = case.call()
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        run()
    assert operations >= 30, f"only {operations} operations in the OpenAPI description"
    assert failures == [], "\n".join(failures[:20])
    # The run reached the handlers, not only the input checks in front of them.
    assert sum(n for code, n in statuses.items() if code < 300) >= 40, statuses
