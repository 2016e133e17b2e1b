"""What the start page reads, on every database: paper progress, which differences are in
the code, jobs that failed or did not run, and who did a one-time step."""

from __future__ import annotations

from datetime import timedelta

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.polls.schemas import PaperEntry
from participatie.worklist import codes_differ, job_problems, last_event, paper_progress
from tests.web.helpers import open_code_poll


def test_paper_progress_and_code_differences(p: Participatie) -> None:
    poll, codes = open_code_poll(p, households=4)

    def typed(sheet: str, code: str, marks: list[str], staff: str) -> None:
        p.polls.enter_paper(poll.id, PaperEntry(sheet=sheet, code=code, marks=marks), staff=staff)

    typed("P1", codes[0], ["1"], "a")  # typed once
    typed("P2", codes[1], ["1"], "a")
    typed("P2", codes[1], ["1"], "b")  # matched
    typed("P3", codes[2], ["1"], "a")
    typed("P3", codes[2], ["2"], "b")  # marks differ
    typed("P4", codes[3], ["1"], "a")
    typed("P4", codes[0], ["1"], "b")  # codes differ
    progress = paper_progress(p, poll.id)
    assert (progress.typed_once, progress.differences, progress.finished) == (1, 2, 1)
    assert codes_differ(p, poll.id) == {"P3": False, "P4": True}

    p.polls.resolve_paper(poll.id, PaperEntry(sheet="P3", code=codes[2], marks=["2"]), staff="c")
    assert paper_progress(p, poll.id).differences == 1
    assert "P3" not in codes_differ(p, poll.id)


def test_jobs_that_did_not_run_or_failed(p: Participatie, clock: FixedClock) -> None:
    late = {problem.name for problem in job_problems(p)}
    assert late == {job.name for job in p.jobs.registered}, "never run: every job is late"
    p.jobs.run_due()
    assert [x for x in job_problems(p) if x.kind == "late"] == []
    clock.advance(timedelta(days=3))
    assert job_problems(p), "three days without a run"


def test_last_event_names_who_issued_the_codes(p: Participatie) -> None:
    poll, _ = open_code_poll(p, households=2)
    event = last_event(p, "poll", poll.id, "poll.codes_issued")
    assert event is not None and event.actor == "projectleider"
    assert event.data["count"] == 2
    assert last_event(p, "poll", poll.id, "poll.published") is None
