"""/hello: three inputs (Textbox, Checkbox, Slider), two outputs (Textbox, Number).

["Hello", true, 5] → ["Good morning Hello. It is 5 degrees today", -15.0]
"""

from __future__ import annotations

from server import App, Checkbox, Number, Slider, Textbox

app = App("Greeting")


@app.api("hello", inputs=[Textbox(), Checkbox(), Slider(0, 100)], outputs=[Textbox(), Number()])
def hello(name: str, is_morning: bool, temperature: float) -> tuple[str, float]:
    """Greet NAME and convert the temperature from Fahrenheit to Celsius."""
    salutation = "Good morning" if is_morning else "Good evening"
    greeting = f"{salutation} {name}. It is {temperature} degrees today"
    celsius = (temperature - 32) * 5 / 9
    return greeting, round(celsius, 2)
