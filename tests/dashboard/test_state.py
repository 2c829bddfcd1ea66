"""The dashboard's session state without a browser: uploads named as the command line names
files."""

import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")

from escalation.dashboard import state  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_session():
    """Leave the shared state as found (the browser test's server may run in this process)."""
    uploaded, chosen = state.uploaded.value, state.chosen.value
    yield
    state.uploaded.value, state.chosen.value = uploaded, chosen


def test_an_uploaded_file_without_a_name_is_named_after_the_file():
    # It was refused ("missing key 'name'") though `escalation run spring.toml` names it spring.
    loaded = state.add_upload("spring.toml", b'extends = "baseline_2021"\nend = 2021-03-31\n')
    assert loaded.name == "spring" and loaded.end.isoformat() == "2021-03-31"
    assert state.chosen.value == "spring" and "spring" in state.scenario_names()
    assert state.scenario("spring") is loaded
