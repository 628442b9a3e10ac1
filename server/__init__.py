"""gradio-mock: a small, fast and faithful stand-in for a Gradio app's HTTP API.

Declare an ``App``, register plain Python functions as endpoints, and serve it with the
``gradio-mock`` command (or ``create_app`` in your own ASGI setup)::

    from server import App

    app = App()

    @app.api("predict")
    def predict(text: str) -> str:
        return text[::-1]
"""

from ._app import App, Endpoint
from ._components import (
    Chatbot,
    Checkbox,
    Component,
    Dropdown,
    File,
    Image,
    Json,
    Number,
    Slider,
    State,
    Textbox,
)
from ._exceptions import (
    DefinitionError,
    Error,
    GradioMockError,
    InputError,
    OutputError,
    StoreUnavailable,
    TargetError,
    UnstorableValue,
)
from ._output import output_path
from ._progress import Progress, info, success, warning
from ._runner import BackgroundServer
from ._server import Settings, create_app
from ._sessions import Session

__version__ = "0.1.0"

__all__ = [
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
]
