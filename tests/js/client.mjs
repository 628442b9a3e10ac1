// Drives the official @gradio/client against a gradio-mock server, for tests/test_js_client.py.
//
//   node tests/js/client.mjs <url> <scenario> [json-argument]
//
// Prints exactly one line of JSON to stdout: {"ok": true, "result": ...} when the scenario ran
// (expected failures, such as an endpoint's error, are part of its result), or
// {"ok": false, "error": ..., "stack": ...} when something unexpected went wrong. Anything the
// client logs goes to stderr, so stdout stays machine-readable.

import { readFile } from "node:fs/promises";
import { Client, handle_file } from "@gradio/client";

// The client may log (deprecations, connection notices): keep stdout for the result alone.
console.log = console.info = console.debug = (...args) => console.error(...args);

const TIMEOUT_MS = 20_000;

const [url, scenario, rawArgument] = process.argv.slice(2);

/** Connect, run `body(client)`, close the client whatever happens. */
async function withClient(target, options, body) {
  const client = await Client.connect(target, options);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** What a message of a submit() iterator says, without its timestamps. */
function describe(message) {
  if (message.type === "data") {
    return { type: "data", endpoint: message.endpoint, data: message.data };
  }
  if (message.type === "status") {
    return {
      type: "status",
      stage: message.stage,
      queue: message.queue,
      message: message.message ?? null,
    };
  }
  return { type: message.type };
}

/** The error a promise rejects with (as {message}), or {resolved: value} if it does not. */
async function outcome(promise) {
  try {
    return { resolved: await promise };
  } catch (error) {
    return { rejected: error instanceof Error ? error.message : String(error) };
  }
}

/** A PNG's signature and size, from its bytes (the IHDR chunk follows the signature). */
function pngFacts(bytes) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const isPng = bytes.length >= 24 && bytes.subarray(0, 8).equals(signature);
  return {
    is_png: isPng,
    ihdr: isPng ? bytes.subarray(12, 16).toString("latin1") : null,
    width: isPng ? bytes.readUInt32BE(16) : null,
    height: isPng ? bytes.readUInt32BE(20) : null,
  };
}

/** Send an image through /image with handle_file, then download the FileData it returns. */
async function sepia(client, input) {
  const result = await client.predict("/image", [handle_file(input)]);
  const file = result.data[0];
  const response = await fetch(file.url);
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    file: { ...file },
    download: {
      status: response.status,
      content_type: response.headers.get("content-type"),
      length: bytes.length,
      base64: bytes.toString("base64"),
      ...pngFacts(bytes),
    },
  };
}

const scenarios = {
  // Client.connect: what the client learned from /config and /info.
  async connect() {
    return withClient(url, undefined, async (client) => {
      const api = await client.view_api();
      return {
        version: client.config.version,
        protocol: client.config.protocol,
        api_prefix: client.api_prefix,
        root: client.config.root,
        api_map: client.api_map,
        named_endpoints: Object.keys(api.named_endpoints).sort(),
        predict_parameters: api.named_endpoints["/predict"].parameters.map((p) => ({
          label: p.label,
          parameter_name: p.parameter_name ?? null,
          component: p.component,
        })),
      };
    });
  },

  // view_api() in full, with what the client took from /config (for a spec's stand-in).
  async view_api() {
    return withClient(url, undefined, async (client) => ({
      api: await client.view_api(),
      version: client.config.version,
      api_prefix: client.api_prefix,
      api_map: client.api_map,
    }));
  },

  // predict() with a list of positional inputs, or an object of named ones.
  async predict({ endpoint, data }) {
    return withClient(url, undefined, async (client) => {
      const result = await client.predict(endpoint, data);
      return { type: result.type, endpoint: result.endpoint, data: result.data };
    });
  },

  // submit(): every "data" and "status" message, in order, until the iterator ends.
  async submit({ endpoint, data }) {
    return withClient(url, { events: ["data", "status"] }, async (client) => {
      const messages = [];
      for await (const message of client.submit(endpoint, data)) {
        messages.push(describe(message));
      }
      return messages;
    });
  },

  // handle_file(Buffer) and handle_file(Blob): upload, sepia, then fetch the result's url.
  async image({ path }) {
    const bytes = await readFile(path);
    return withClient(url, undefined, async (client) => ({
      buffer: await sepia(client, bytes),
      blob: await sepia(client, new Blob([bytes], { type: "image/png" })),
    }));
  },

  // An endpoint that raises server.Error: predict() rejects, submit() reports a status.
  async error({ endpoint, data }) {
    return withClient(url, { events: ["data", "status"] }, async (client) => {
      const predicted = await outcome(client.predict(endpoint, data));
      const messages = [];
      for await (const message of client.submit(endpoint, data)) {
        messages.push(describe(message));
      }
      return { predict: predicted, submit: messages };
    });
  },

  // Token auth: connect and predict with {[option]: token} (option "token", or the deprecated
  // "hf_token"); connect without one, or with a wrong one.
  async token({ token, option = "token" }) {
    const withToken = await outcome(
      withClient(url, { [option]: token }, async (client) => {
        const result = await client.predict("/predict", ["Hello, my friend."]);
        return result.data;
      }),
    );
    const withoutToken = await outcome(withClient(url, undefined, async () => "connected"));
    const wrongToken = await outcome(
      withClient(url, { token: `${token}x` }, async () => "connected"),
    );
    return { with_token: withToken, without_token: withoutToken, wrong_token: wrongToken };
  },

  // Two clients, each with its own session_hash: their /chat histories stay apart.
  async sessions({ messages }) {
    const first = await Client.connect(url);
    const second = await Client.connect(url);
    try {
      const replies = [];
      for (const [who, text] of messages) {
        const client = who === "first" ? first : second;
        const result = await client.predict("/chat", [text]);
        replies.push([who, result.data[0]]);
      }
      return {
        session_hashes: [first.session_hash, second.session_hash],
        replies,
      };
    } finally {
      first.close();
      second.close();
    }
  },

  // A stubbed endpoint: what predict() gives or rejects with, and every message submit()
  // yields (status with its progress, log and data), as the client reports them.
  // With deadline_ms, a predict() still pending then reports {pending: true} (a client that
  // waits for ever on a dropped stream) and submit() is not tried.
  async stubbed({ endpoint, data, deadline_ms }) {
    const connected = await outcome(Client.connect(url, { events: ["data", "status", "log"] }));
    if (!("resolved" in connected)) return { connect: connected };
    const client = connected.resolved;
    try {
      let predicted;
      if (deadline_ms) {
        let timer;
        const deadline = new Promise((resolve) => {
          timer = setTimeout(() => resolve({ pending: true }), deadline_ms);
        });
        predicted = await Promise.race([outcome(client.predict(endpoint, data)), deadline]);
        clearTimeout(timer);
        return { predict: predicted };
      }
      predicted = await outcome(client.predict(endpoint, data));
      const messages = [];
      for await (const message of client.submit(endpoint, data)) {
        const described = describe(message);
        if (message.type === "status") {
          described.progress_data = message.progress_data ?? null;
          described.success = message.success ?? null;
        }
        if (message.type === "log") {
          described.log = message.log;
          described.level = message.level;
        }
        messages.push(described);
        if (message.type === "status" && ["complete", "error"].includes(message.stage)) break;
      }
      return { predict: predicted, submit: messages };
    } finally {
      client.close();
    }
  },

  // job.cancel() on an endless generator, once it has streamed `after` values.
  async cancel({ endpoint, data, after }) {
    return withClient(url, { events: ["data", "status"] }, async (client) => {
      const job = client.submit(endpoint, data);
      const before = [];
      const afterCancel = [];
      let cancelled = false;
      for await (const message of job) {
        (cancelled ? afterCancel : before).push(describe(message));
        const values = before.filter((m) => m.type === "data").length;
        if (!cancelled && values >= after) {
          cancelled = true;
          await job.cancel();
        }
      }
      return { event_id: job.event_id(), before, after_cancel: afterCancel };
    });
  },
};

function emit(value) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(value)}\n`, resolve));
}

const timer = setTimeout(async () => {
  await emit({ ok: false, error: `scenario ${scenario} took more than ${TIMEOUT_MS} ms` });
  process.exit(2);
}, TIMEOUT_MS);

let report;
try {
  if (!(scenario in scenarios)) {
    throw new Error(`unknown scenario ${scenario}; known: ${Object.keys(scenarios).join(", ")}`);
  }
  const argument = rawArgument ? JSON.parse(rawArgument) : {};
  report = { ok: true, result: await scenarios[scenario](argument) };
} catch (error) {
  report = { ok: false, error: String(error?.message ?? error), stack: error?.stack ?? null };
}
clearTimeout(timer);
await emit(report);
// The client's heartbeat stream may still hold the event loop: the result is out, so leave.
process.exit(report.ok ? 0 : 1);
