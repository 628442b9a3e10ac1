"""Loading the app to serve from the CLI's TARGET: a ``.py`` file, ``module:attribute``, or
a spec file (``.json``, from ``gradio-mock snapshot``)."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType

from ._app import App
from ._exceptions import TargetError

__all__ = ["DEFAULT_TARGET", "load_app"]

#: Served when no TARGET is given: every bundled demo together.
DEFAULT_TARGET = "demos:app"


def load_app(target: str, *, seed: int = 0) -> App:
    """The ``App`` that ``target`` names; ``TargetError`` with one clear line otherwise
    (a spec's own errors are ``standin.SpecError``s). ``seed``: a spec's generated answers."""
    if target.endswith(".json"):
        if not os.path.isfile(target):
            raise TargetError(f"{target}: no such file")
        from .standin._cassette import is_cassette

        if is_cassette(target):  # gradio-mock record's: a spec plus recordings
            from .standin._replay import app_from_cassette

            return app_from_cassette(target, seed=seed)
        return App.from_spec(target, seed=seed)
    if target.endswith(".py") or os.path.sep in target:
        module = _module_from_file(target)
        attribute = None
    else:
        module_name, _, attribute = target.partition(":")
        module = _import(module_name)
    if attribute:
        app = getattr(module, attribute, None)
        if not isinstance(app, App):
            found = "nothing" if app is None else type(app).__name__
            raise TargetError(f"{target}: expected an App at {attribute!r}, found {found}")
        return app
    apps = [value for value in vars(module).values() if isinstance(value, App)]
    if not apps:
        raise TargetError(f"{target}: defines no App (create one with server.App())")
    if len(apps) > 1:
        named = getattr(module, "app", None)
        if isinstance(named, App):
            return named
        raise TargetError(f"{target}: defines several Apps; name one as {target}:NAME")
    return apps[0]


def _import(module_name: str) -> ModuleType:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` would: the current folder first
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise TargetError(f"cannot import {module_name!r}: no such module") from None
        raise TargetError(f"{module_name}: {_last_line(error)}") from None
    except Exception as error:
        raise TargetError(f"{module_name}: {_last_line(error)}") from None


def _module_from_file(path: str) -> ModuleType:
    """Import a file; one inside a package (folders with ``__init__.py``) is imported as a
    module of that package, so its relative imports work, as pytest does."""
    if not os.path.isfile(path):
        raise TargetError(f"{path}: no such file")
    folder, filename = os.path.split(os.path.abspath(path))
    parts = [os.path.splitext(filename)[0]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = ".".join(parts)
    try:
        return importlib.import_module(name)
    except Exception as error:
        raise TargetError(f"{path}: {_last_line(error)}") from None


def _last_line(error: BaseException) -> str:
    """``ValueError: boom (app.py, line 3)``: the error and where it happened, on one line."""
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        where = f" ({os.path.basename(frames[-1].filename)}, line {frames[-1].lineno})"
    return f"{type(error).__name__}: {error}{where}"
