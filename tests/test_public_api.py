"""The public surface of ``server``: its exports, its exceptions, and how ``App`` registers
functions (type-hint inference, streaming, definition errors)."""

from __future__ import annotations

import importlib
import pathlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Optional

import httpx
import pytest

import server
from server import (
    App,
    BackgroundServer,
    Checkbox,
    DefinitionError,
    Dropdown,
    Error,
    File,
    GradioMockError,
    Image,
    InputError,
    Json,
    Number,
    OutputError,
    Session,
    Settings,
    Slider,
    StoreUnavailable,
    TargetError,
    Textbox,
    UnstorableValue,
)

EXPECTED_EXPORTS = {
    "App",
    "BackgroundServer",
    "Chatbot",
    "Checkbox",
    "Component",
    "DefinitionError",
    "Dropdown",
    "Endpoint",
    "Error",
    "File",
    "GradioMockError",
    "Image",
    "InputError",
    "Json",
    "Number",
    "OutputError",
    "Progress",
    "Session",
    "Settings",
    "Slider",
    "State",
    "StoreUnavailable",
    "TargetError",
    "Textbox",
    "UnstorableValue",
    "__version__",
    "create_app",
    "info",
    "output_path",
    "success",
    "warning",
}


# -- exports -------------------------------------------------------------------------


def test_all_is_exactly_the_public_api() -> None:
    assert set(server.__all__) == EXPECTED_EXPORTS
    assert len(server.__all__) == len(set(server.__all__))


def test_every_export_is_importable() -> None:
    module = importlib.import_module("server")
    for name in server.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, Any] = {}
    exec("from server import *", namespace)
    assert set(namespace) - {"__builtins__"} == EXPECTED_EXPORTS


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert server.__version__ == version("gradio-mock")


# -- exceptions ------------------------------------------------------------------------


def test_error_is_not_a_gradio_mock_error() -> None:
    """``Error`` is raised by user code to fail a call; it is not gradio-mock's own failure."""
    assert issubclass(Error, Exception)
    assert not issubclass(Error, GradioMockError)


@pytest.mark.parametrize(
    "cls",
    [DefinitionError, TargetError, InputError, OutputError, StoreUnavailable, UnstorableValue],
)
def test_gradio_mock_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, GradioMockError)
    assert not issubclass(cls, Error)


def test_error_defaults_match_gr_error() -> None:
    error = Error("custom failure")
    assert (error.message, error.duration, error.visible, error.title) == (
        "custom failure",
        10,
        True,
        "Error",
    )
    assert str(error) == "custom failure"
    assert Error().message == "Error raised."


# -- type-hint inference -------------------------------------------------------------


def _register(fn: Any, **options: Any) -> Any:
    return App().add(fn, **options)


def test_hints_choose_the_components() -> None:
    def fn(text: str, flag: bool, count: int, ratio: float, path: pathlib.Path) -> str:
        return text

    endpoint = _register(fn)
    kinds = [type(c) for c in endpoint.inputs]
    assert kinds == [Textbox, Checkbox, Number, Number, File]
    assert endpoint.inputs[2].precision == 0  # int → whole numbers
    assert endpoint.inputs[3].precision is None
    assert [type(c) for c in endpoint.outputs] == [Textbox]
    assert endpoint.parameter_names == ["text", "flag", "count", "ratio", "path"]
    assert endpoint.api_name == "fn"
    assert not endpoint.is_generator


def test_unhinted_and_other_types_are_json() -> None:
    def fn(a, b: list[int], c: dict[str, Any]):  # type: ignore[no-untyped-def]
        return a

    endpoint = _register(fn)
    assert [type(c) for c in endpoint.inputs] == [Json, Json, Json]
    assert [type(c) for c in endpoint.outputs] == [Json]


def test_optional_hint_is_its_inner_type() -> None:
    def fn(a: Optional[str], b: int | None) -> Optional[bool]:  # noqa: UP045
        return None

    endpoint = _register(fn)
    assert [type(c) for c in endpoint.inputs] == [Textbox, Number]
    assert [type(c) for c in endpoint.outputs] == [Checkbox]


def test_tuple_return_is_several_outputs() -> None:
    def fn(x: str) -> tuple[str, float, bool]:
        return x, 1.0, True

    endpoint = _register(fn)
    assert [type(c) for c in endpoint.outputs] == [Textbox, Number, Checkbox]
    assert endpoint.shape_outputs(("a", 1.0, True)) == ["a", 1.0, True]
    with pytest.raises(TypeError, match="3 outputs"):
        endpoint.shape_outputs(("a", 1.0))


def test_none_return_is_no_output() -> None:
    def fn(x: str) -> None:
        return None

    assert _register(fn).outputs == []


def test_generators_stream_their_item_type() -> None:
    def sync_gen(x: str) -> Iterator[str]:
        yield x

    async def async_gen(x: str) -> AsyncIterator[tuple[str, int]]:
        yield x, 1

    sync = _register(sync_gen)
    assert sync.is_generator
    assert [type(c) for c in sync.outputs] == [Textbox]
    agen = _register(async_gen)
    assert agen.is_generator
    assert [type(c) for c in agen.outputs] == [Textbox, Number]


def test_parameter_defaults_become_component_defaults() -> None:
    def fn(name: str, loud: bool = True, times: int = 3) -> str:
        return name

    endpoint = _register(fn)
    assert [c.has_default for c in endpoint.inputs] == [False, True, True]
    assert [c.default for c in endpoint.inputs[1:]] == [True, 3]


def test_session_parameter_is_not_an_input() -> None:
    def fn(message: str, session: Session) -> str:
        return message

    endpoint = _register(fn)
    assert endpoint.session_parameter == "session"
    assert endpoint.parameter_names == ["message"]
    assert [type(c) for c in endpoint.inputs] == [Textbox]


def test_explicit_components_and_names_override_hints() -> None:
    def fn(a: int, b: int, c: int) -> int:
        return a

    endpoint = _register(
        fn, inputs=["textbox", Slider(0, 10), Dropdown(["x", "y"])], outputs="image"
    )
    assert [type(c) for c in endpoint.inputs] == [Textbox, Slider, Dropdown]
    assert [type(c) for c in endpoint.outputs] == [Image]


def test_a_shared_component_object_is_copied_per_endpoint() -> None:
    shared = Textbox()
    app = App()

    @app.api("one", inputs=[shared])
    def one(text: str = "first") -> str:
        return text

    @app.api("two", inputs=[shared])
    def two(text: str = "second") -> str:
        return text

    assert [e.inputs[0].default for e in app.endpoints] == ["first", "second"]
    assert not shared.has_default


def test_decorator_returns_the_function_and_keeps_registration_order() -> None:
    app = App("ordered")

    def first(x: str) -> str:
        return x

    assert app.api("b")(first) is first

    @app.api("a")
    def second(x: str) -> str:
        return x

    assert [(e.api_name, e.fn_index) for e in app.endpoints] == [("b", 0), ("a", 1)]
    assert app.endpoint("/a") is app.endpoints[1]
    assert app.endpoint("nosuch") is None


def test_include_renumbers_the_endpoints() -> None:
    one, two = App(), App()
    one.add(lambda x: x, "x")
    two.add(lambda y: y, "y")
    two.include(one)
    assert [(e.api_name, e.fn_index) for e in two.endpoints] == [("y", 0), ("x", 1)]
    assert one.endpoints[0].fn_index == 0  # the included app is left as it was
    with pytest.raises(DefinitionError, match="/x"):
        two.include(one)


# -- definition errors -----------------------------------------------------------------


def _echo(x: str) -> str:
    return x


def test_duplicate_api_name() -> None:
    app = App()
    app.add(_echo, "echo")
    with pytest.raises(DefinitionError, match="registered twice"):
        app.add(_echo, "/echo/")


def test_unknown_component_name_lists_the_known_ones() -> None:
    with pytest.raises(DefinitionError, match="unknown component 'textarea'") as info:
        _register(_echo, inputs=["textarea"])
    assert "textbox" in str(info.value)


def test_dropdown_by_name_needs_choices() -> None:
    with pytest.raises(DefinitionError, match="choices"):
        _register(_echo, inputs=["dropdown"])


@pytest.mark.parametrize("inputs", [[], ["textbox", "textbox"]], ids=["too-few", "too-many"])
def test_wrong_input_count(inputs: list[str]) -> None:
    with pytest.raises(DefinitionError, match=f"{len(inputs)} input components"):
        _register(_echo, inputs=inputs)


def test_inputs_may_leave_out_parameters_with_defaults_and_fill_varargs() -> None:
    def fn(a: str, b: str = "b", *rest: str) -> str:
        return a

    assert len(_register(fn, inputs=["textbox"]).inputs) == 1
    assert len(_register(fn, inputs=["textbox"] * 4).inputs) == 4


@pytest.mark.parametrize("name", ["has space", "semi;colon", "é", ""])
def test_bad_api_names(name: str) -> None:
    with pytest.raises(DefinitionError, match="api_name"):
        App().add(_echo, name or "   ")


def test_bad_concurrency_limit() -> None:
    with pytest.raises(DefinitionError, match="concurrency_limit"):
        _register(_echo, concurrency_limit=0)


def test_bad_component_arguments() -> None:
    with pytest.raises(DefinitionError, match="minimum"):
        Slider(10, 0)
    with pytest.raises(DefinitionError, match="choice"):
        Dropdown([])


# -- BackgroundServer ------------------------------------------------------------------


@pytest.mark.parametrize("requests", [0, 1], ids=["idle", "after-a-request"])
def test_background_server_starts_and_stops_cleanly(
    monkeypatch: pytest.MonkeyPatch, requests: int
) -> None:
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    app = App()
    app.add(_echo, "echo")
    background = BackgroundServer(app, Settings(port=0)).start()
    try:
        assert background.url == f"http://127.0.0.1:{background.port}"
        for _ in range(requests):
            assert httpx.get(f"{background.url}/config", timeout=10).status_code == 200
    finally:
        background.stop()
    assert errors == []
    assert not background._thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{background.url}/config", timeout=10)
