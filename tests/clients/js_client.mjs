// Drives an older @gradio/client (0.20.x or 1.x) against a gradio-mock server, for
// tests/test_old_clients.py. (tests/js/client.mjs drives today's 2.x.)
//
//   node tests/clients/js_client.mjs <package-dir> <url> <scenario> [json-argument]
//
// <package-dir> is the npm project that holds the client (tests/js-0.20 or tests/js-1.x): the
// client is imported from its node_modules, so one script serves every version. The two APIs
// differ: 0.x's submit() returns {on, off, cancel, destroy} and has no handle_file (a Blob or
// Buffer is given as is); 1.x's submit() is an async iterator with cancel(). Both take the
// token as `hf_token`.
//
// Prints exactly one line of JSON to stdout: {"ok": true, "result": ...} when the scenario ran
// (expected failures are part of its result), or {"ok": false, "error": ..., "stack": ...}
// when something unexpected went wrong. Anything the client logs goes to stderr.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

console.log = console.info = console.debug = console.warn = (...args) => console.error(...args);

const TIMEOUT_MS = 20_000;
/** How long a promise may stay pending before a scenario reports it as {pending: true}. */
const PENDING_MS = 3_000;

const [packageDir, url, scenario, rawArgument] = process.argv.slice(2);
const entry = join(packageDir, "node_modules", "@gradio", "client", "dist", "index.js");
const { Client, handle_file: handleFile } = await import(pathToFileURL(entry).href);
const MAJOR = handleFile ? 1 : 0;

// 0.20's predict() and submit() throw some errors (a missing named input) from inside a
// promise nobody awaits: record them, so that a scenario can report what the client did.
const unhandled = [];
process.on("unhandledRejection", (error) => unhandled.push(String(error?.message ?? error)));

/** {resolved: value} or {rejected: message}, or {pending: true} if neither within `ms`. */
async function outcome(promise, ms = PENDING_MS) {
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ pending: true }), ms);
  });
  const settled = promise.then(
    (value) => ({ resolved: value }),
    (error) => ({ rejected: error instanceof Error ? error.message : String(error?.message ?? JSON.stringify(error)) }),
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connect, run `body(client)`, close the client whatever happens. */
async function withClient(options, body) {
  const client = await Client.connect(url, options);
  try {
    return await body(client);
  } finally {
    client.close?.();
  }
}

function describe(message) {
  if (message.type === "data") return { type: "data", data: message.data };
  if (message.type === "status") {
    return { type: "status", stage: message.stage, message: message.message ?? null };
  }
  return { type: message.type };
}

const isFinal = (m) => m.type === "status" && ["complete", "error"].includes(m.stage);

/**
 * Every message of a job until its final status (or `ms`): 0.x through on("data"/"status"),
 * 1.x by iterating. 1.x's iterator is never left with `break` (return() hangs in 1.19.1, with
 * real Gradio too): the loop runs on, and the messages are taken at the final status.
 * `onMessage(messages)` is called after each message (the cancel scenario acts on it).
 */
function messagesOf(job, { ms = 10_000, onMessage = () => {} } = {}) {
  return new Promise((resolve) => {
    const messages = [];
    const timer = setTimeout(() => resolve({ messages, ended: "deadline" }), ms);
    const add = (message) => {
      messages.push(describe(message));
      onMessage(messages);
      if (isFinal(message)) {
        clearTimeout(timer);
        resolve({ messages, ended: "final status" });
      }
    };
    if (job[Symbol.asyncIterator]) {
      (async () => {
        for await (const message of job) add(message);
        clearTimeout(timer);
        resolve({ messages, ended: "iterator" });
      })();
    } else {
      job.on("data", add);
      job.on("status", add);
    }
  });
}

/** A file for an Image input: handle_file() where the client has it, the value as is on 0.x. */
const asFile = (value) => (handleFile ? handleFile(value) : value);

async function sepia(client, input) {
  const predicted = await outcome(client.predict("/image", [asFile(input)]), 10_000);
  if (!("resolved" in predicted)) return { predict: predicted };
  const file = predicted.resolved.data[0];
  const response = await fetch(file.url);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { file: { ...file }, status: response.status, base64: bytes.toString("base64") };
}

const scenarios = {
  async connect() {
    return withClient(undefined, async (client) => {
      const api = await client.view_api();
      return {
        major: MAJOR,
        version: client.config.version,
        protocol: client.config.protocol,
        api_prefix: client.api_prefix ?? null,
        api_map: client.api_map,
        named_endpoints: Object.keys(api.named_endpoints).sort(),
        parameters: Object.fromEntries(
          Object.entries(api.named_endpoints).map(([name, endpoint]) => [
            name,
            endpoint.parameters.map((p) => p.parameter_name ?? p.label),
          ]),
        ),
      };
    });
  },

  // predict(endpoint, data): endpoint a name or an index, data a list or a named object.
  async predict({ endpoint, data }) {
    return withClient(undefined, async (client) => {
      const predicted = await outcome(client.predict(endpoint, data));
      if ("resolved" in predicted) predicted.resolved = predicted.resolved.data;
      return { ...predicted, unhandled };
    });
  },

  // submit(): the messages until the final status. `events` as given to Client.connect
  // (1.x sends only "data" messages unless it is asked for "status" ones).
  async submit({ endpoint, data, events }) {
    const options = events ? { events } : undefined;
    return withClient(options, async (client) => messagesOf(client.submit(endpoint, data), { ms: 3_000 }));
  },

  // The sepia demo with a Buffer and with a Blob, then the result's url fetched.
  async image({ path }) {
    const bytes = await readFile(path);
    return withClient(undefined, async (client) => ({
      buffer: await sepia(client, bytes),
      blob: await sepia(client, new Blob([bytes], { type: "image/png" })),
    }));
  },

  // 1.x only: leave the for-await loop with `break` at the first "data" message (at: "data")
  // or at the final status (at: "final"). Does the loop statement finish ({left: true}), or
  // does the iterator's return() never settle ({pending: true})?
  async break_loop({ endpoint, data, at }) {
    return withClient({ events: ["data", "status"] }, async (client) => {
      const job = client.submit(endpoint, data);
      const seen = [];
      const loop = (async () => {
        for await (const message of job) {
          seen.push(describe(message));
          if (at === "data" ? message.type === "data" : isFinal(message)) break;
        }
        return true;
      })();
      const left = await outcome(loop);
      return { left: "resolved" in left, pending: "pending" in left, seen };
    });
  },

  // A Blob into a File input (/file upper-cases it), then the result's url fetched.
  async file({ text }) {
    return withClient(undefined, async (client) => {
      const blob = new Blob([text], { type: "text/plain" });
      const predicted = await outcome(client.predict("/file", [asFile(blob)]), 10_000);
      if (!("resolved" in predicted)) return { predict: predicted };
      const file = predicted.resolved.data[0];
      const response = await fetch(file.url);
      return { file: { ...file }, status: response.status, text: await response.text() };
    });
  },

  // An endpoint that raises: predict() rejects, submit() ends on an error status.
  async error({ endpoint, data }) {
    return withClient({ events: ["data", "status"] }, async (client) => {
      const predicted = await outcome(client.predict(endpoint, data));
      const submitted = await messagesOf(client.submit(endpoint, data));
      const after = await outcome(client.predict("/predict", ["Hello, my friend."]));
      return { predict: predicted, submit: submitted, after: after.resolved?.data ?? after };
    });
  },

  // job.cancel() on an endless generator once it has streamed `after` values.
  async cancel({ endpoint, data, after }) {
    return withClient({ events: ["data", "status"] }, async (client) => {
      const job = client.submit(endpoint, data);
      let cancelled = null;
      const seen = await messagesOf(job, {
        ms: 5_000,
        onMessage(messages) {
          if (cancelled === null && messages.filter((m) => m.type === "data").length >= after) {
            cancelled = messages.length;
            job.cancel();
          }
        },
      });
      return {
        before: seen.messages.slice(0, cancelled ?? undefined),
        after_cancel: cancelled === null ? [] : seen.messages.slice(cancelled),
        ended: seen.ended,
      };
    });
  },

  // Two clients, each with its own session_hash: their /chat histories stay apart.
  async sessions({ messages }) {
    const clients = { first: await Client.connect(url), second: await Client.connect(url) };
    try {
      const replies = [];
      for (const [who, text] of messages) {
        replies.push([who, (await clients[who].predict("/chat", [text])).data[0]]);
      }
      return { session_hashes: [clients.first.session_hash, clients.second.session_hash], replies };
    } finally {
      clients.first.close?.();
      clients.second.close?.();
    }
  },

  // Client.connect(url, {hf_token}): with the token, without one, with a wrong one.
  async token({ token }) {
    const call = (options) =>
      outcome(
        withClient(options, async (client) => (await client.predict("/predict", ["Hello, my friend."])).data),
      );
    return {
      with_token: await call({ hf_token: token }),
      without_token: await call(undefined),
      wrong_token: await call({ hf_token: `${token}x` }),
    };
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
  report = { ok: true, result: await scenarios[scenario](rawArgument ? JSON.parse(rawArgument) : {}) };
} catch (error) {
  report = { ok: false, error: String(error?.message ?? error), stack: error?.stack ?? null };
}
clearTimeout(timer);
await emit(report);
// The client's heartbeat stream may still hold the event loop: the result is out, so leave.
process.exit(report.ok ? 0 : 1);
