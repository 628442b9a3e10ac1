"""Gradio-style components: what an endpoint's inputs and outputs look like on the wire.

A component checks an input value before the function sees it (``preprocess``) and shapes a
return value before a client sees it (``postprocess``). It also describes itself for
``/info`` and ``/config``. File components only mark themselves (``is_file``); moving bytes
is the job of ``_files.py``.
"""

from __future__ import annotations

import copy
import math
import reprlib
from typing import Any, ClassVar

from ._exceptions import DefinitionError, InputError
from ._file_schemas import file_schema
from ._types import JSON

__all__ = [
    "COMPONENTS",
    "Chatbot",
    "Checkbox",
    "Component",
    "Described",
    "Dropdown",
    "File",
    "Image",
    "Json",
    "Number",
    "Slider",
    "State",
    "Textbox",
    "component_from_name",
    "described_component",
]

_NO_DEFAULT: Any = object()


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Component:
    """Base class. Subclasses set the class attributes and override the checks."""

    #: The ``type`` in ``/config`` (``"textbox"``), also accepted as a name in definitions.
    kind: ClassVar[str] = "component"
    #: The ``component`` in ``/info`` (``"Textbox"``).
    display_name: ClassVar[str] = "Component"
    #: True for components whose values are files (FileData on the wire).
    is_file: ClassVar[bool] = False
    #: Left out of /info, as Gradio leaves out gr.State (``skip_api`` in /config).
    skip_api: ClassVar[bool] = False
    #: /info shows ``api_info()`` and ``python_type()`` as they are, for every version.
    verbatim: ClassVar[bool] = False
    example: ClassVar[JSON] = None

    def __init__(self, label: str | None = None, value: Any = _NO_DEFAULT) -> None:
        self.label = label
        self.value = value

    # -- description -------------------------------------------------------------------
    @property
    def has_default(self) -> bool:
        return self.value is not _NO_DEFAULT

    @property
    def default(self) -> Any:
        return None if self.value is _NO_DEFAULT else self.value

    def with_default(self, value: Any) -> Component:
        """This component with ``value`` as its default (a function parameter's default)."""
        self.value = value
        return self

    def api_info(self) -> dict[str, Any]:
        return {}

    def python_type(self) -> dict[str, str]:
        return {"type": "Any", "description": ""}

    def props(self) -> dict[str, Any]:
        props: dict[str, Any] = {"name": self.kind, "show_label": True, "visible": True}
        if self.label is not None:
            props["label"] = self.label
        if self.has_default:
            props["value"] = self.value
        return props

    # -- checks ----------------------------------------------------------------------
    def preprocess(self, value: JSON) -> Any:
        """Check an input value; raise ``InputError`` saying what was expected."""
        return value

    def postprocess(self, value: Any) -> JSON:
        """Shape a value the function returned; raise ``InputError`` if it cannot be sent."""
        return value

    def _expected(self, what: str, value: object) -> InputError:
        return InputError(f"{self.display_name} expects {what}, got {_type_name(value)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r})"


class Textbox(Component):
    kind = "textbox"
    display_name = "Textbox"
    example = "Hello!!"

    def api_info(self) -> dict[str, Any]:
        return {"type": "string"}

    def python_type(self) -> dict[str, str]:
        return {"type": "str", "description": ""}

    def preprocess(self, value: JSON) -> Any:
        if value is None or isinstance(value, str):
            return value
        raise self._expected("a string", value)

    def postprocess(self, value: Any) -> JSON:
        return None if value is None else str(value)


def _check_number(component: Component, value: JSON) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise component._expected("a number", value)
    try:
        float(value)
    except OverflowError:  # an int of hundreds of digits: no float, so no comparisons
        raise InputError(
            f"{component.display_name} expects a number a float can hold (up to about "
            f"1.8e308), got an integer of {int(value).bit_length()} bits"
        ) from None
    if not math.isfinite(value):
        raise InputError(f"{component.display_name} expects a finite number, got {value}")
    return value


class Number(Component):
    kind = "number"
    display_name = "Number"
    example = 3

    def __init__(
        self,
        label: str | None = None,
        value: Any = _NO_DEFAULT,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        precision: int | None = None,
    ) -> None:
        super().__init__(label, value)
        self.minimum = minimum
        self.maximum = maximum
        self.precision = precision

    def api_info(self) -> dict[str, Any]:
        return {"type": "number"}

    def python_type(self) -> dict[str, str]:
        return {"type": "float", "description": ""}

    def preprocess(self, value: JSON) -> Any:
        if value is None:
            return None
        number = _check_number(self, value)
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not low <= number <= high:
            raise InputError(
                f"{self.display_name} expects a number between {self.minimum} and "
                f"{self.maximum}, got {number}"
            )
        return self._round(number)

    def postprocess(self, value: Any) -> JSON:
        if value is None:
            return None
        return self._round(_check_number(self, value))

    def _round(self, number: float | int) -> float | int:
        # Gradio's Number hands out floats unless a precision is set (precision=0: ints).
        if self.precision is None:
            return float(number)
        if self.precision == 0:
            return round(number)
        return round(float(number), self.precision)


class Slider(Component):
    kind = "slider"
    display_name = "Slider"

    def __init__(
        self,
        minimum: float = 0,
        maximum: float = 100,
        value: Any = _NO_DEFAULT,
        *,
        step: float = 1,
        label: str | None = None,
    ) -> None:
        # As in Gradio, a slider's default is its minimum.
        super().__init__(label, minimum if value is _NO_DEFAULT else value)
        if minimum > maximum:
            raise DefinitionError(f"Slider minimum {minimum} is above its maximum {maximum}")
        self.minimum = minimum
        self.maximum = maximum
        self.step = step

    @property
    def example(self) -> JSON:
        return self.minimum

    def _description(self) -> str:
        return f"numeric value between {self.minimum} and {self.maximum}"

    def api_info(self) -> dict[str, Any]:
        return {"type": "number", "description": self._description()}

    def python_type(self) -> dict[str, str]:
        return {"type": "float", "description": self._description()}

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "step": self.step,
        }

    def preprocess(self, value: JSON) -> Any:
        number = _check_number(self, value)
        if not self.minimum <= number <= self.maximum:
            raise InputError(
                f"Slider expects a number between {self.minimum} and {self.maximum}, got {number}"
            )
        return number

    def postprocess(self, value: Any) -> JSON:
        return _check_number(self, value)


class Checkbox(Component):
    kind = "checkbox"
    display_name = "Checkbox"
    example = True

    def __init__(self, label: str | None = None, value: Any = False) -> None:
        super().__init__(label, value)

    def api_info(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def python_type(self) -> dict[str, str]:
        return {"type": "bool", "description": ""}

    def preprocess(self, value: JSON) -> Any:
        if isinstance(value, bool):
            return value
        raise self._expected("true or false", value)

    def postprocess(self, value: Any) -> JSON:
        if isinstance(value, bool):
            return value
        raise self._expected("a bool", value)


class Dropdown(Component):
    kind = "dropdown"
    display_name = "Dropdown"

    def __init__(
        self, choices: list[str], label: str | None = None, value: Any = _NO_DEFAULT
    ) -> None:
        if not choices:
            raise DefinitionError("Dropdown needs at least one choice")
        super().__init__(label, choices[0] if value is _NO_DEFAULT else value)
        self.choices = list(choices)

    @property
    def example(self) -> JSON:
        return self.choices[0]

    def api_info(self) -> dict[str, Any]:
        return {"type": "string", "enum": self.choices}

    def python_type(self) -> dict[str, str]:
        return {
            "type": "Literal[" + ", ".join(repr(c) for c in self.choices) + "]",
            "description": "",
        }

    def props(self) -> dict[str, Any]:
        return {**super().props(), "choices": [[c, c] for c in self.choices]}

    def preprocess(self, value: JSON) -> Any:
        if value in self.choices:
            return value
        raise InputError(f"Dropdown expects one of {self.choices}, got {reprlib.repr(value)}")


class Json(Component):
    kind = "json"
    display_name = "Json"
    example: ClassVar[JSON] = {"foo": "bar"}

    def api_info(self) -> dict[str, Any]:
        return {"type": {}, "description": "any valid json"}

    def python_type(self) -> dict[str, str]:
        return {"type": "str | float | bool | list | dict", "description": "any valid json"}


class Chatbot(Component):
    """A chat history: a list of ``{"role", "content"}`` messages (Gradio's messages format)."""

    kind = "chatbot"
    display_name = "Chatbot"
    example: ClassVar[JSON] = [{"role": "user", "content": "Hello!"}]

    def api_info(self) -> dict[str, Any]:
        message = {
            "type": "object",
            "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
        }
        return {"type": "array", "items": message}

    def python_type(self) -> dict[str, str]:
        return {"type": "list[dict[str, str]]", "description": ""}

    def preprocess(self, value: JSON) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._expected("a list of messages", value)
        return value

    def postprocess(self, value: Any) -> JSON:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._expected("a list of messages", value)
        return value


class File(Component):
    """A file: FileData on the wire, a local path for the function."""

    kind = "file"
    display_name = "File"
    is_file = True
    example: ClassVar[JSON] = {
        "path": "https://github.com/gradio-app/gradio/raw/main/test/test_files/sample_file.pdf",
        "meta": {"_type": "gradio.FileData"},
        "orig_name": "sample_file.pdf",
        "url": "https://github.com/gradio-app/gradio/raw/main/test/test_files/sample_file.pdf",
    }

    def api_info(self) -> dict[str, Any]:
        # The schema of the newest profile; /config and /info ask for their version's.
        return file_schema(self.kind, 6)

    def python_type(self) -> dict[str, str]:
        return {"type": "filepath", "description": ""}


class Image(File):
    kind = "image"
    display_name = "Image"
    example: ClassVar[JSON] = {
        "path": "https://raw.githubusercontent.com/gradio-app/gradio/main/test/test_files/bus.png",
        "meta": {"_type": "gradio.FileData"},
        "orig_name": "bus.png",
        "url": "https://raw.githubusercontent.com/gradio-app/gradio/main/test/test_files/bus.png",
    }

    def python_type(self) -> dict[str, str]:
        return {"type": "filepath", "description": "A local filepath or publicly available URL."}


class State(Component):
    """A value the server keeps for each session, as Gradio's ``gr.State``: as an input, the
    function gets the session's value (at first a deep copy of ``value``, or what
    ``value()`` returns if it is callable); as an output, what the function returns becomes
    the session's value, and the client gets ``null`` in its place. Clients see it in
    ``/config`` (type ``state``) but not in ``/info``; they send ``null`` for it, or leave it
    out. The same ``State`` object given as an input and an output (or to several
    endpoints) is one state, as in Gradio."""

    kind = "state"
    display_name = "State"
    skip_api = True

    def __init__(self, value: Any = None) -> None:
        super().__init__(None, value)
        #: Made from a type hint or the name ``"state"`` rather than given: as an output, it
        #: is the endpoint's state input of the same rank (see ``App.add``).
        self.implicit = False

    def with_default(self, value: Any) -> Component:
        # A State given is shared and keeps its value; one made from a hint takes the
        # parameter's default as its initial value.
        if self.implicit:
            self.value = value
        return self

    def initial(self) -> Any:
        """A new session's value."""
        value = self.value() if callable(self.value) else self.value
        return copy.deepcopy(value)

    def preprocess(self, value: JSON) -> Any:
        return None  # what the client sent is ignored: the session's value is used

    def postprocess(self, value: Any) -> JSON:
        return None

    def __repr__(self) -> str:
        return f"State({self.value!r})"


class Described(Component):
    """A component known only by its description (a spec's, from a snapshot of a real app):
    Gradio's name for it, its value schema and python_type, carried verbatim. Values pass
    unchecked. Made with ``described_component`` (one subclass per kind and name)."""

    verbatim = True

    def __init__(
        self,
        api_info: dict[str, Any],
        python_type: dict[str, str],
        *,
        label: str | None = None,
        value: Any = _NO_DEFAULT,
        example: JSON = None,
    ) -> None:
        super().__init__(label, value)
        self._api_info = api_info
        self._python_type = python_type
        self._example = example

    @property
    def example(self) -> JSON:
        return self._example

    def api_info(self) -> dict[str, Any]:
        return self._api_info

    def python_type(self) -> dict[str, str]:
        return self._python_type


_DESCRIBED: dict[tuple[str, str, bool, bool], type[Described]] = {}


def described_component(
    kind: str,
    display_name: str,
    *,
    is_file: bool = False,
    skip_api: bool = False,
) -> type[Described]:
    """The ``Described`` subclass for one kind (``/config``'s ``type``, e.g. ``"audio"``) and
    name (``/info``'s ``component``, e.g. ``"Audio"``); the class attributes say what a
    component is, so each combination gets its own class."""
    key = (kind, display_name, is_file, skip_api)
    cls = _DESCRIBED.get(key)
    if cls is None:
        attributes = {
            "kind": kind,
            "display_name": display_name,
            "is_file": is_file,
            "skip_api": skip_api,
        }
        cls = _DESCRIBED[key] = type(f"Described{display_name}", (Described,), attributes)
    return cls


COMPONENTS: dict[str, type[Component]] = {
    cls.kind: cls
    for cls in (Textbox, Number, Slider, Checkbox, Dropdown, Json, Chatbot, File, Image, State)
}


def component_from_name(name: str) -> Component:
    """``"textbox"`` → ``Textbox()``: the Gradio shorthand for a component with defaults."""
    try:
        cls = COMPONENTS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(COMPONENTS))
        raise DefinitionError(f"unknown component {name!r}; known: {known}") from None
    if cls is Dropdown:
        raise DefinitionError("dropdown needs its choices: use Dropdown([...])")
    return cls()
