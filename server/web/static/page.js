// gradio-mock's page: reads /info, shows each endpoint with its snippets, and calls it
// through the public API (POST /call/<api>, then its SSE stream read with fetch, so that the
// Authorization header can go along; EventSource cannot send headers).

// Every API URL is built from the page's own origin and the path the server saw the page
// under (root path, X-Forwarded-Prefix), which it writes into this meta tag.
const API = new URL(
  document.querySelector('meta[name="gradio-mock-api"]').content + "/",
  location.origin,
);
const TOKEN_KEY = "gradio-mock-token";
const FILE_DATA = { _type: "gradio.FileData" };
const MAX_EVENTS = 200;
const $ = (selector, root = document) => root.querySelector(selector);

function apiUrl(path) {
  return new URL(path, API).href;
}

function authHeaders(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

// fetch with the token; a 401 forgets the token and asks for one (once per page load
// unless it was wrong).
async function apiFetch(path, options = {}) {
  const response = await fetch(apiUrl(path), {
    ...options,
    headers: authHeaders(options.headers),
  });
  if (response.status === 401) {
    const detail = await errorDetail(response);
    sessionStorage.removeItem(TOKEN_KEY);
    askForToken(detail);
    throw new Error(detail);
  }
  return response;
}

async function errorDetail(response) {
  const text = await response.text();
  try {
    const detail = JSON.parse(text).detail;
    return typeof detail === "string" ? detail : JSON.stringify(detail);
  } catch {
    return text || `${response.status} ${response.statusText}`;
  }
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

// -- the token -------------------------------------------------------------------------

function askForToken(message) {
  const form = $("#token-form");
  $("#token-message").textContent = message;
  $("#status").textContent = "";
  form.hidden = false;
  $("#token-input").focus();
}

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token-input").value.trim());
  $("#token-form").hidden = true;
  $("#token-input").value = "";
  load();
});

// -- the API description ---------------------------------------------------------------

async function load() {
  $("#status").textContent = "Loading the API description…";
  let info;
  try {
    const response = await apiFetch("info");
    if (!response.ok) throw new Error(await errorDetail(response));
    info = await response.json();
  } catch (error) {
    if ($("#token-form").hidden) $("#status").textContent = `Could not read /info: ${error.message}`;
    return;
  }
  const endpoints = Object.entries(info.named_endpoints || {});
  $("#status").textContent = `${endpoints.length} endpoint${endpoints.length === 1 ? "" : "s"}.`;
  const toc = $("#toc");
  const list = $("#endpoints");
  toc.replaceChildren();
  list.replaceChildren();
  endpoints.forEach(([name, endpoint], index) => {
    const id = `endpoint-${index}`;
    toc.append(element("li", {}, element("a", { href: `#${id}`, text: name })));
    list.append(renderEndpoint(id, name, endpoint));
  });
  startJournal();
}

function typeName(item) {
  return item.python_type?.type || item.type?.type || "";
}

function renderEndpoint(id, name, endpoint) {
  const section = $("#endpoint-template").content.firstElementChild.cloneNode(true);
  section.id = id;
  section.setAttribute("aria-labelledby", `${id}-title`);
  const title = $(".endpoint-name", section);
  title.id = `${id}-title`;
  title.textContent = name;
  $(".description", section).textContent = endpoint.description || "";

  const parameters = endpoint.parameters || [];
  $(".parameters tbody", section).append(
    ...parameters.map((p) =>
      element(
        "tr",
        {},
        element("td", {}, element("code", { text: p.parameter_name || p.label })),
        // Gradio 6 leaves python_type's description empty where the JSON schema's says it.
        element("td", {
          text: [typeName(p), p.python_type?.description || p.type?.description]
            .filter(Boolean)
            .join(": "),
        }),
        element("td", { text: p.component || "" }),
        element("td", {
          text: p.parameter_has_default ? JSON.stringify(p.parameter_default) : "required",
        }),
      ),
    ),
  );
  const returns = endpoint.returns || [];
  $(".returns tbody", section).append(
    ...returns.map((r, i) =>
      element(
        "tr",
        {},
        element("td", { text: String(i) }),
        element("td", { text: typeName(r) }),
        element("td", { text: r.component || "" }),
      ),
    ),
  );
  renderSnippets($(".snippets", section), id, endpoint.code_snippets);
  new Runner(section, id, name, parameters, returns);
  return section;
}

const LANGUAGES = [
  ["bash", "curl"],
  ["python", "Python"],
  ["javascript", "JavaScript"],
];

function renderSnippets(container, id, snippets) {
  if (!snippets) {
    container.append(element("p", { text: "This Gradio version's /info has no snippets." }));
    return;
  }
  for (const [key, label] of LANGUAGES) {
    if (!snippets[key]) continue;
    const code = element("code", { id: `${id}-${key}`, text: snippets[key] });
    const copy = element("button", { type: "button", class: "copy", "aria-label": `Copy the ${label} snippet` }, "Copy");
    copy.addEventListener("click", () => copyText(snippets[key], copy));
    container.append(
      element(
        "details",
        { class: `snippet snippet-${key}`, open: key === "bash" },
        element("summary", { text: label }),
        copy,
        element("pre", {}, code),
      ),
    );
  }
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy by hand";
  }
  setTimeout(() => (button.textContent = "Copy"), 2000);
}

// -- "Try it" --------------------------------------------------------------------------

function between(description) {
  const match = /between (-?[\d.e+]+) and (-?[\d.e+]+)/.exec(description || "");
  return match ? [match[1], match[2]] : null;
}

// One form control per parameter, by component; anything else is a JSON textarea.
function field(id, parameter) {
  const name = parameter.parameter_name || parameter.label;
  const component = parameter.component || "";
  const initial = parameter.parameter_has_default ? parameter.parameter_default : parameter.example_input;
  const label = element("label", { for: id }, element("code", { text: name }), ` ${component}`);
  const wrapper = element("div", { class: `field field-${component.toLowerCase()}` });
  let control;
  let read;
  const range = between(parameter.type?.description);
  if (component === "Checkbox") {
    control = element("input", { id, type: "checkbox", checked: initial === true });
    read = () => control.checked;
    wrapper.append(control, label);
    return { wrapper, read };
  }
  if (component === "Slider" && range) {
    control = element("input", { id, type: "range", min: range[0], max: range[1], step: "any", value: initial ?? range[0] });
    const shown = element("output", { for: id, text: control.value });
    control.addEventListener("input", () => (shown.textContent = control.value));
    read = () => Number(control.value);
    wrapper.append(label, control, shown);
    return { wrapper, read };
  }
  if (component === "Number" || component === "Slider") {
    control = element("input", { id, type: "number", step: "any", value: initial ?? "" });
    read = () => (control.value === "" ? null : Number(control.value));
  } else if (component === "Textbox") {
    control = element("textarea", { id, rows: 2 });
    control.value = initial ?? "";
    read = () => control.value;
  } else if (component === "Dropdown" && Array.isArray(parameter.type?.enum)) {
    control = element(
      "select",
      { id },
      ...parameter.type.enum.map((choice) => element("option", { value: choice, selected: choice === initial, text: choice })),
    );
    read = () => control.value;
  } else if (component === "File" || component === "Image") {
    return fileField(id, label, wrapper, component === "Image");
  } else {
    control = element("textarea", { id, rows: 3, class: "json", spellcheck: "false" });
    control.value = JSON.stringify(initial ?? null, null, 2);
    read = () => {
      try {
        return JSON.parse(control.value);
      } catch (error) {
        throw new Error(`${name} is not valid JSON: ${error.message}`);
      }
    };
  }
  wrapper.append(label, control);
  return { wrapper, read };
}

// A file goes up with POST /upload first; the call then names it by its server path.
function fileField(id, label, wrapper, isImage) {
  const control = element("input", { id, type: "file", accept: isImage ? "image/*" : null });
  const preview = element("div", { class: "preview" });
  control.addEventListener("change", () => {
    preview.replaceChildren();
    const file = control.files[0];
    if (!file) return;
    if (isImage) preview.append(element("img", { src: URL.createObjectURL(file), alt: `Preview of ${file.name}` }));
    else preview.append(element("span", { text: `${file.name} (${file.size} bytes)` }));
  });
  const read = async () => {
    const file = control.files[0];
    if (!file) return null;
    const body = new FormData();
    body.append("files", file);
    const response = await apiFetch("upload", { method: "POST", body });
    if (!response.ok) throw new Error(`Upload of ${file.name} failed: ${await errorDetail(response)}`);
    const [path] = await response.json();
    return { path, orig_name: file.name, meta: FILE_DATA };
  };
  wrapper.append(label, control, preview);
  return { wrapper, read };
}

class Runner {
  constructor(section, id, name, parameters, returns) {
    this.api = name.replace(/^\//, "");
    this.returns = returns;
    this.form = $(".try", section);
    this.status = $(".call-status", this.form);
    this.outputs = $(".outputs", this.form);
    this.events = $(".events ol", this.form);
    this.eventsSummary = $(".events summary", this.form);
    this.run = $(".run", this.form);
    this.cancelButton = $(".cancel", this.form);
    this.fields = parameters.map((p, i) => field(`${id}-input-${i}`, p));
    $(".fields", this.form).append(...this.fields.map((f) => f.wrapper));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.call();
    });
    this.cancelButton.addEventListener("click", () => this.cancel());
    // Ctrl+Enter (or Cmd+Enter) runs from any field, textareas included.
    this.form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !this.run.disabled) {
        event.preventDefault();
        this.call();
      }
    });
  }

  setStatus(text, kind = "") {
    this.status.textContent = text;
    this.status.className = `call-status ${kind}`;
  }

  async call() {
    this.controller = new AbortController();
    this.eventId = null;
    this.run.disabled = true;
    this.cancelButton.disabled = false;
    this.outputs.replaceChildren();
    this.events.replaceChildren();
    this.count = 0;
    this.eventsSummary.textContent = "Events";
    const started = performance.now();
    try {
      this.setStatus("Sending…");
      const data = [];
      for (const f of this.fields) data.push(await f.read());
      const response = await apiFetch(`call/${encodeURIComponent(this.api)}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ data }),
        signal: this.controller.signal,
      });
      if (!response.ok) throw new Error(await errorDetail(response));
      this.eventId = (await response.json()).event_id;
      this.setStatus(`Running (event ${this.eventId})…`);
      const stream = await apiFetch(`call/${encodeURIComponent(this.api)}/${this.eventId}`, {
        signal: this.controller.signal,
      });
      if (!stream.ok) throw new Error(await errorDetail(stream));
      let ended = false;
      for await (const message of sseMessages(stream.body)) {
        ended = this.show(message, performance.now() - started) || ended;
      }
      if (!ended) this.setStatus("The stream closed without a result.", "error");
    } catch (error) {
      if (error.name === "AbortError") this.setStatus("Cancelled.", "error");
      else this.setStatus(error.message, "error");
    } finally {
      this.run.disabled = false;
      this.cancelButton.disabled = true;
    }
  }

  // One SSE message: returns true when it ends the call.
  show({ event, data }, elapsed) {
    if (event === "heartbeat") return false;
    this.count = (this.count || 0) + 1;
    this.events.append(element("li", {}, element("code", { text: `${event}: ${data}` })));
    // A long generator keeps the page small: only the last events are listed.
    if (this.events.children.length > MAX_EVENTS) this.events.firstElementChild.remove();
    this.eventsSummary.textContent = `Events (${this.count})`;
    let value = null;
    try {
      value = JSON.parse(data);
    } catch {
      value = data;
    }
    const seconds = (elapsed / 1000).toFixed(2);
    if (event === "generating") {
      this.renderOutputs(value);
      this.setStatus(`Generating… (${this.count} events)`);
    } else if (event === "complete") {
      this.renderOutputs(value);
      this.setStatus(`Done in ${seconds} s.`, "done");
      return true;
    } else if (event === "error") {
      const message = value && typeof value === "object" ? value.error : value;
      this.setStatus(
        message
          ? `Error: ${message}`
          : "Error, without a message (the server hides unexpected exceptions unless started with --show-error).",
        "error",
      );
      return true;
    }
    return false;
  }

  renderOutputs(values) {
    const list = Array.isArray(values) ? values : [values];
    this.outputs.replaceChildren(
      ...list.map((value, i) => {
        const component = this.returns[i]?.component || "";
        return element(
          "div",
          { class: "output" },
          element("span", { class: "output-label", text: `${i} ${component}` }),
          renderValue(value, component),
        );
      }),
    );
  }

  async cancel() {
    this.cancelButton.disabled = true;
    if (this.eventId) {
      // The server stops the job; its stream then ends with an "error" event "Cancelled.".
      try {
        const response = await apiFetch("cancel", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ event_id: this.eventId }),
        });
        if (response.ok && (await response.json()).success) return;
      } catch {
        // fall through: stop reading at least
      }
    }
    this.controller?.abort();
  }
}

function isFileData(value) {
  return value && typeof value === "object" && (value.meta?._type === "gradio.FileData" || "url" in value);
}

function renderValue(value, component) {
  if (isFileData(value)) {
    const url = safeUrl(value.url || apiUrl(`file=${value.path}`));
    const name = value.orig_name || value.path?.split("/").pop() || "file";
    const link = element("a", { href: url, download: name, text: name });
    const wrapper = element("div", { class: "file-output" }, link);
    if (component === "Image" || (value.mime_type || "").startsWith("image/")) {
      const image = element("img", { alt: `Output image ${name}` });
      wrapper.prepend(image);
      fileSource(url).then((source) => {
        image.src = source;
        link.href = source;
      });
    }
    return wrapper;
  }
  if (typeof value === "string") return element("pre", { class: "value", text: value });
  return element("pre", { class: "value", text: JSON.stringify(value, null, 2) });
}

// Only web addresses become links and images (never javascript: and the like).
function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : "about:blank";
  } catch {
    return "about:blank";
  }
}

// With a token, /file= needs it too, and an <img> cannot send headers: fetch the file.
async function fileSource(url) {
  if (!sessionStorage.getItem(TOKEN_KEY) || new URL(url).origin !== location.origin) return url;
  const response = await fetch(url, { headers: authHeaders() });
  return response.ok ? URL.createObjectURL(await response.blob()) : url;
}

// Server-Sent Events from a fetch body: {event, data} for each message, as it arrives.
async function* sseMessages(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let carry = ""; // a trailing "\r" may be the first half of a "\r\n"
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    const raw = carry + value;
    carry = raw.endsWith("\r") ? "\r" : "";
    buffer += raw.slice(0, raw.length - carry.length).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = { event: "message", data: [] };
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue;
        const field = colon === -1 ? line : line.slice(0, colon);
        const text = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") message.event = text;
        else if (field === "data") message.data.push(text);
      }
      if (message.data.length || message.event !== "message") {
        yield { event: message.event, data: message.data.join("\n") };
      }
    }
  }
}

// -- the live journal ------------------------------------------------------------------

// The admin API lives at the server's root (under the root path), not under /gradio_api.
const ROOT = new URL(
  document.querySelector('meta[name="gradio-mock-root"]').content + "/",
  location.origin,
);
const MAX_ROWS = 300;
const journalRows = new Map(); // entry id → its <tr>
let journalStarted = false;
let refreshTimer = null;

function rootFetch(path, options = {}) {
  return fetch(new URL(path, ROOT).href, { ...options, headers: authHeaders(options.headers) });
}

function short(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function journalRow(entry) {
  const time = new Date(entry.time * 1000).toLocaleTimeString();
  const row = element(
    "tr",
    { "data-id": entry.id, "data-api": entry.api_name || entry.path, class: entry.matched ? null : "unmatched" },
    element("td", { text: String(entry.id) }),
    element("td", { text: time }),
    element("td", {}, element("code", { text: `${entry.method} ${entry.path}` })),
    element("td", { text: entry.api_name || "" }),
    element("td", {}, element("code", { text: short(entry.data) })),
    element("td", { text: entry.status ?? "…" }),
    element("td", { text: entry.outcome || (entry.matched ? "" : "unmatched") }),
    element("td", { text: entry.answered_by || "" }),
    element("td", { text: entry.duration == null ? "" : (entry.duration * 1000).toFixed(1) }),
  );
  return row;
}

function applyFilter(row) {
  const wanted = $("#journal-filter").value;
  row.hidden = Boolean(wanted) && row.dataset.api !== wanted;
}

function showEntry(entry) {
  const body = $("#journal-requests tbody");
  const row = journalRow(entry);
  applyFilter(row);
  const old = journalRows.get(entry.id);
  if (old) old.replaceWith(row);
  else body.prepend(row);
  journalRows.set(entry.id, row);
  const key = entry.api_name || entry.path;
  const filter = $("#journal-filter");
  if (![...filter.options].some((o) => o.value === key)) {
    filter.append(element("option", { value: key, text: key }));
  }
  while (journalRows.size > MAX_ROWS) {
    const [oldest] = journalRows.keys();
    journalRows.get(oldest).remove();
    journalRows.delete(oldest);
  }
  if (entry.answered_by?.startsWith("stub") || !entry.matched) scheduleRefresh();
}

// Stubs and unmatched requests, read again when the journal says something changed them.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshSide, 200);
}

async function refreshSide() {
  try {
    const [stubs, unmatched] = await Promise.all([
      rootFetch("__mock/stubs").then((r) => r.json()),
      rootFetch("__mock/requests/unmatched").then((r) => r.json()),
    ]);
    const stubList = $("#journal-stubs");
    stubList.replaceChildren(
      ...(stubs.stubs.length ? stubs.stubs : [null]).map((stub) =>
        stub
          ? element(
              "li",
              { "data-stub": stub.id },
              element("code", { text: `${stub.id} ${stub.api_name || stub.path}` }),
              ` ${short(stub.response)}: ${stub.hits} hit${stub.hits === 1 ? "" : "s"}`,
              stub.exhausted ? " (used up)" : "",
            )
          : element("li", { text: "None." }),
      ),
    );
    const missList = $("#journal-unmatched");
    const misses = unmatched.requests.slice(-50).reverse();
    missList.replaceChildren(
      ...(misses.length ? misses : [null]).map((entry) =>
        entry
          ? element(
              "li",
              {},
              element("code", { text: `${entry.method} ${entry.path}` }),
              ` ${entry.unmatched}`,
              element(
                "ul",
                {},
                ...entry.near_misses.map((miss) =>
                  element("li", { text: `near miss ${miss.api_name}: ${miss.differences.join("; ") || "no difference"}` }),
                ),
              ),
            )
          : element("li", { text: "None." }),
      ),
    );
  } catch (error) {
    $("#journal-status").textContent = `Could not read the stubs: ${error.message}`;
  }
}

async function startJournal() {
  if (journalStarted) return;
  journalStarted = true;
  $("#journal-filter").addEventListener("change", () => journalRows.forEach(applyFilter));
  refreshSide();
  while (true) {
    try {
      const response = await rootFetch("__mock/requests/stream");
      if (!response.ok) throw new Error(await errorDetail(response));
      $("#journal-status").textContent = "Live: requests appear as they arrive.";
      for await (const message of sseMessages(response.body)) {
        if (message.event === "request") showEntry(JSON.parse(message.data));
        else if (message.event === "reset") {
          journalRows.forEach((row) => row.remove());
          journalRows.clear();
          scheduleRefresh();
        }
      }
    } catch (error) {
      $("#journal-status").textContent = `Journal stream lost (${error.message}); reconnecting…`;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

load();
