"""Standing in for an app you don't own: snapshot its API into a spec file, serve the spec,
and check a live app against it.

* ``snapshot(url)`` / ``spec_from_captures(config, info)``: the spec of an app;
* ``App.from_spec(spec)`` (``app_from_spec``): serve it; ``@app.implement("/x")``;
* ``diff_specs(old, new)``: what changed, one readable line each;
* ``load_cassette(path)`` / ``app_from_cassette(path, speed=, record_missing=)``: a cassette
  of ``gradio-mock record`` and the app that replays it.
"""

from ._cassette import Cassette, Recording, load_cassette
from ._diff import diff_specs
from ._generate import generate_value
from ._replay import ReplayApp, app_from_cassette
from ._serve import SpecApp, app_from_spec
from ._snapshot import SnapshotError, fetch_api, snapshot, spec_from_captures
from ._spec import (
    FORMAT,
    EndpointSpec,
    InputSpec,
    OutputSpec,
    Spec,
    SpecError,
    load_spec,
    save_spec,
)

__all__ = [
    "FORMAT",
    "Cassette",
    "EndpointSpec",
    "InputSpec",
    "OutputSpec",
    "Recording",
    "ReplayApp",
    "SnapshotError",
    "Spec",
    "SpecApp",
    "SpecError",
    "app_from_cassette",
    "app_from_spec",
    "diff_specs",
    "fetch_api",
    "generate_value",
    "load_cassette",
    "load_spec",
    "save_spec",
    "snapshot",
    "spec_from_captures",
]
