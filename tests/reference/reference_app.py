"""The app real Gradio serves when ``capture.py`` records its answers (run by a Python that has
gradio 4.44.1, 5.x or 6.x installed; never imported by the test suite).

One endpoint per kind of traffic, named as the demos where they overlap (/predict, /hello,
/stream, /image, /chat), and every component gradio-mock supports (Textbox, Number, Slider,
Checkbox, Dropdown, JSON, Chatbot, File, Image) plus gr.State, gr.Progress, gr.Info/gr.Warning,
a generator, gr.Error and an unexpected exception. Outputs are deterministic, so that a
re-capture diffs cleanly.

    python reference_app.py PORT
"""

import sys
import threading
import time

import gradio as gr

MAJOR = int(gr.__version__.split(".")[0])
#: /slow waits on this (at most 30 s) so that a capture can cancel it while it runs.
RELEASE = threading.Event()


def translate(text):
    return {"Hello, my friend.": "Bonjour, mon ami."}.get(text, text[::-1])


def hello(name, is_morning, temperature):
    salutation = "Good morning" if is_morning else "Good evening"
    greeting = f"{salutation} {name}. It is {temperature} degrees today"
    celsius = (temperature - 32) * 5 / 9
    return greeting, round(celsius, 2)


def stream(text):
    for i in range(len(text)):
        time.sleep(0.02)
        yield text[: i + 1]


def count(n):
    """A long generator: one value every 0.2 s (cancel and reset act on it while it runs)."""
    for i in range(int(n)):
        yield str(i)
        time.sleep(0.2)


def mirror(img):
    return img


def file_copy(path):
    return path


def chat(message, history):
    history = (history or []) + [message]
    return f"You said: {message} ({len(history) - 1} earlier messages)", history


def kinds(number, choice, data, messages):
    return number * 2, choice, {"got": data}, [*messages, {"role": "assistant", "content": "ok"}]


def progress(text, progress=gr.Progress()):  # noqa: B008 (Gradio's own idiom)
    # Gradio sends the latest progress every 0.1 s: the pauses let each one out.
    progress(0, desc="start")
    time.sleep(0.3)
    gr.Info("an info message")
    time.sleep(0.3)
    progress(0.5, desc="half")
    time.sleep(0.3)
    gr.Warning("a warning message")
    time.sleep(0.3)
    return text.upper()


def boom(x):
    raise gr.Error("custom failure")


def crash(x):
    raise ValueError("secret internals")


def slow(x):
    RELEASE.wait(30)
    return x


def chatbot(**kwargs):
    if MAJOR < 6:
        return gr.Chatbot(type="messages", **kwargs)
    return gr.Chatbot(**kwargs)


with gr.Blocks(title="reference") as demo:
    t = gr.Textbox()
    o = gr.Textbox()
    gr.Button().click(translate, t, o, api_name="predict")
    n = gr.Textbox()
    c = gr.Checkbox()
    s = gr.Slider(0, 100)
    g = gr.Textbox()
    num = gr.Number()
    gr.Button().click(hello, [n, c, s], [g, num], api_name="hello")
    so = gr.Textbox()
    gr.Button().click(stream, t, so, api_name="stream")
    im = gr.Image(type="filepath")
    imo = gr.Image(type="filepath")
    gr.Button().click(mirror, im, imo, api_name="image")
    history = gr.State([])
    co = gr.Textbox()
    gr.Button().click(chat, [t, history], [co, history], api_name="chat")
    fi = gr.File(type="filepath")
    fo = gr.File()
    gr.Button().click(file_copy, fi, fo, api_name="file")
    kn = gr.Number()
    kd = gr.Dropdown(["a", "b", "c"])
    kj = gr.JSON()
    kc = chatbot()
    kno = gr.Number()
    kdo = gr.Dropdown(["a", "b", "c"])
    kjo = gr.JSON()
    kco = chatbot()
    gr.Button().click(kinds, [kn, kd, kj, kc], [kno, kdo, kjo, kco], api_name="kinds")
    gr.Button().click(progress, t, o, api_name="progress")
    cn = gr.Number()
    gr.Button().click(count, cn, o, api_name="count")
    gr.Button().click(boom, t, o, api_name="boom")
    gr.Button().click(crash, t, o, api_name="crash")
    gr.Button().click(slow, t, o, api_name="slow")

if __name__ == "__main__":
    demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), share=False)
