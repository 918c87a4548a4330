"""Every form of the app builds on ``spokes.core.forms.Form``, so WTForms's own messages speak the reader's language."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from flask_wtf import FlaskForm

import spokes
from spokes.core.forms import Form


def _forms() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(spokes.__path__, "spokes."):
        if ".migrations" in info.name or ".bench" in info.name:
            continue
        module = importlib.import_module(info.name)
        found += [obj for _name, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, FlaskForm) and obj.__module__ == module.__name__]
    return found


def test_every_form_is_a_spokes_form():
    forms = _forms()
    assert len(forms) > 30  # the app's forms were found, not none
    assert [f"{f.__module__}.{f.__qualname__}" for f in forms if not issubclass(f, Form)] == []
