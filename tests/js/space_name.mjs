// @gradio/client given a Space's name, for tests/test_spaces.py.
//
//   node tests/js/space_name.mjs <mock-url> <space-name> <space-url>
//
// @gradio/client asks https://huggingface.co itself (there is no HF_ENDPOINT for it), so this
// script never lets a request leave the machine: its fetch refuses any other host. It prints
// one line of JSON: what the client asked when given the name as is (it fails), what it does
// when fetch sends huggingface.co's requests to the mock, and when given the Space's URL.

import { Client } from "@gradio/client";

console.log = console.info = console.debug = (...args) => console.error(...args);

const [mockUrl, spaceName, spaceUrl] = process.argv.slice(2);
const realFetch = globalThis.fetch;
const asked = [];
let redirect = false;

globalThis.fetch = async (input, init) => {
  let url = typeof input === "string" ? input : input.url ?? String(input);
  asked.push(url);
  if (redirect && url.startsWith("https://huggingface.co/")) {
    url = mockUrl + url.slice("https://huggingface.co".length);
  }
  if (!url.startsWith("http://127.0.0.1:")) {
    throw new TypeError(`refused to leave the machine: ${url}`);
  }
  return realFetch(url, init);
};

async function predict(target) {
  const client = await Client.connect(target);
  try {
    return (await client.predict("/predict", ["Hello, my friend."])).data;
  } finally {
    client.close();
  }
}

try {
  const result = {};
  try {
    await predict(spaceName);
    result.by_name = "connected";
  } catch (error) {
    result.by_name = error instanceof Error ? error.message : String(error);
  }
  result.by_name_asked = asked.splice(0);
  redirect = true;
  result.redirected = await predict(spaceName);
  result.redirected_asked = asked.splice(0).slice(0, 2);
  redirect = false;
  result.by_url = await predict(spaceUrl);
  process.stdout.write(JSON.stringify({ ok: true, result }) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error), stack: error?.stack }) + "\n");
}
process.exit(0);
