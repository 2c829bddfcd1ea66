"""The package as users import it: cheap, lazy, one meaning per name, annotated."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import escalation


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_import_is_cheap_and_does_not_import_mesa():
    assert _run("import sys, escalation; print('mesa' in sys.modules)") == "False"


def test_submodules_are_reachable_after_a_bare_import():
    code = (
        "import escalation; "
        "print(escalation.baselines.Poisson.__name__, escalation.plotting.fan_chart.__name__, "
        "escalation.model.ladder.Rung.__name__, escalation.events.counts.daily_counts.__name__)"
    )
    assert _run(code) == "Poisson fan_chart Rung daily_counts"


def test_no_name_is_both_a_function_and_a_module():
    code = "import escalation.forecasting, escalation; print(callable(escalation.forecast))"
    assert _run(code) == "True"
    for name in escalation.__all__:
        if name == "__version__":
            continue
        assert not inspect.ismodule(getattr(escalation, name)), name


def test_unknown_attributes_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        escalation.nonexistent  # noqa: B018


def _unannotated(function) -> list[str]:
    signature = inspect.signature(function)
    missing = [
        name
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def _public_callables():
    for name in escalation.__all__:
        if name == "__version__":
            continue
        value = getattr(escalation, name)
        if inspect.isclass(value):
            if issubclass(value, BaseException) or issubclass(value, str):
                continue  # exceptions and str-Enums take their methods from the base class
            for attribute, member in vars(value).items():
                if attribute.startswith("_") and attribute != "__init__":
                    continue
                function = getattr(member, "__func__", member)
                if isinstance(member, property):
                    function = member.fget
                if inspect.isfunction(function):
                    yield f"{name}.{attribute}", function
        elif inspect.isfunction(value):
            yield name, value


@pytest.mark.parametrize("qualname, function", list(_public_callables()))
def test_every_public_function_and_method_is_annotated(qualname, function):
    assert _unannotated(function) == [], f"{qualname} lacks annotations"
