// Drives @gradio/client through tests/standin_app.py's endpoints, for tests/test_record.py: the
// same scenario against the recording proxy (live) and against the replay.
//
//   node tests/js/standin.mjs <url> <png-path>
//
// Prints one line of JSON: {"ok": true, "result": ...} or {"ok": false, "error", "stack"}.

import { readFile } from "node:fs/promises";
import { Client, handle_file } from "@gradio/client";

console.log = console.info = console.debug = (...args) => console.error(...args);

const [url, pngPath] = process.argv.slice(2);

async function outcome(promise) {
  try {
    return { resolved: (await promise).data };
  } catch (error) {
    return { rejected: error?.message ?? String(error) };
  }
}

async function main() {
  const client = await Client.connect(url, { events: ["data", "status", "log"] });
  try {
    const greet = await client.predict("/greet", ["Joe"]);
    const streamed = [];
    const progress = [];
    const logs = [];
    for await (const message of client.submit("/count", [2])) {
      if (message.type === "data") streamed.push(message.data);
      if (message.type === "log") logs.push({ log: message.log, level: message.level });
      if (message.type === "status" && message.progress_data) {
        progress.push(message.progress_data.map((p) => [p.index, p.length, p.desc]));
      }
    }
    const bytes = await readFile(pngPath);
    const inverted = await client.predict("/invert", [
      handle_file(new Blob([bytes], { type: "image/png" })),
    ]);
    const file = inverted.data[0];
    const response = await fetch(file.url);
    const download = Buffer.from(await response.arrayBuffer());
    const failed = await outcome(client.predict("/fail", ["js"]));
    return {
      greet: greet.data,
      count: streamed,
      progress,
      logs,
      invert: {
        orig_name: file.orig_name,
        status: response.status,
        base64: download.toString("base64"),
      },
      fail: failed,
    };
  } finally {
    client.close();
  }
}

const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ ok: false, error: "timed out after 30 s" }) + "\n");
  process.exit(1);
}, 30_000);

try {
  const result = await main();
  process.stdout.write(JSON.stringify({ ok: true, result }) + "\n");
} catch (error) {
  process.stdout.write(
    JSON.stringify({ ok: false, error: String(error?.message ?? error), stack: error?.stack }) +
      "\n",
  );
} finally {
  clearTimeout(timer);
  process.exit(0);
}
