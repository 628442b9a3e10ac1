// `node --test`: the wrapper in translate.mjs against a real gradio-mock server, which this file
// starts (`python -m server --port 0 --stubs stubs.json`, the python from GRADIO_MOCK_PYTHON or
// `python3`) and drives through its HTTP admin API only: what each call gets back
// (POST /__mock/stubs) and what the wrapper sent (GET /__mock/requests).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, test } from "node:test";

import { QuotaError, translate } from "./translate.mjs";

const PYTHON = process.env.GRADIO_MOCK_PYTHON || "python3";
const STUBS = fileURLToPath(new URL("stubs.json", import.meta.url));
const START_TIMEOUT_MS = 20_000;
const FAST = { backoffMs: 10 }; // the tests need not wait as long as a real client would
const BOUNDED = { timeout: 20_000 }; // a test that hangs fails instead

let mock; // the server process
let url; // its address, from the banner

/** Start gradio-mock (the bundled demos, stubs.json in force); resolve with its URL. */
function startMock() {
  mock = spawn(PYTHON, ["-m", "server", "--port", "0", "--stubs", STUBS, "--no-access-log"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`gradio-mock (${PYTHON} -m server) ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail("printed no URL in time"), START_TIMEOUT_MS);
    const read = (chunk) => {
      output += chunk;
      const found = output.match(/Running on (http:\/\/\S+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    mock.stdout.setEncoding("utf8").on("data", read);
    mock.stderr.setEncoding("utf8").on("data", read);
    mock.on("error", (error) => fail(`could not start: ${error.message}`));
    mock.on("exit", (code) => fail(`exited with code ${code}`));
  });
}

/** One admin API call; its JSON answer. */
async function admin(method, path, body) {
  const response = await fetch(`${url}/__mock${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} /__mock${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The calls of /predict the server received (the POSTs that joined the queue). */
async function predictCalls() {
  const { requests } = await admin("GET", "/requests?api_name=/predict");
  return requests.filter((request) => request.method === "POST");
}

before(async () => {
  url = await startMock();
});

after(() => {
  mock.removeAllListeners("exit");
  mock.kill();
});

beforeEach(async () => {
  // A clean server for each test. Reset forgets every stub, the file's too: put those back.
  await admin("POST", "/reset");
  await admin("POST", "/stubs", JSON.parse(readFileSync(STUBS, "utf8")));
});

test("retries when the queue is full, then returns the translation", BOUNDED, async () => {
  await admin("POST", "/stubs", {
    api_name: "/predict",
    times: 1,
    response: { fault: "queue_full" },
  });
  assert.equal(await translate(url, "Hello, my friend.", FAST), "Bonjour, mon ami.");
  const calls = await predictCalls();
  assert.deepEqual(
    calls.map((call) => call.status),
    [503, 200],
  );
});

test("gives up after three attempts when the queue stays full", BOUNDED, async () => {
  await admin("POST", "/stubs", {
    api_name: "/predict",
    times: 3, // a 4th attempt would succeed
    response: { fault: "queue_full" },
  });
  await assert.rejects(translate(url, "Hello, my friend.", FAST), /currently busy/);
  assert.equal((await predictCalls()).length, 3);
});

test("the ZeroGPU quota is a QuotaError with the Space's message", BOUNDED, async () => {
  await admin("POST", "/stubs", {
    api_name: "/predict",
    response: { fault: "zerogpu_quota", left: 12 },
  });
  await assert.rejects(translate(url, "Hello, my friend.", FAST), (error) => {
    assert.ok(error instanceof QuotaError, `not a QuotaError: ${error}`);
    assert.equal(
      error.message,
      "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:09:48",
    );
    return true;
  });
  assert.equal((await predictCalls()).length, 1); // not retried: it would not help
});

test("sends the text as given and returns the Space's answer", BOUNDED, async () => {
  // stubs.json holds the Space's answer for this sentence.
  assert.equal(await translate(url, "The weather is nice today."), "Il fait beau aujourd'hui.");
  const calls = await predictCalls();
  assert.deepEqual(
    calls.map((call) => call.data),
    [["The weather is nice today."]],
  );
});
