// A small wrapper around @gradio/client for a Space's English-to-French endpoint, /predict:
// the kind of code the test next to it checks against gradio-mock.
//
//   import { translate, QuotaError } from "./translate.mjs";
//   await translate("https://user-space.hf.space/", "Hello, my friend.");  // "Bonjour, mon ami."

import { Client } from "@gradio/client";

/** The Space ran out of ZeroGPU quota: retrying now will not help, the message says when. */
export class QuotaError extends Error {
  name = "QuotaError";
}

// What @gradio/client rejects with when the Space's queue is full (a 503 on /queue/join).
const BUSY = /currently busy/;
// How ZeroGPU Spaces word it: "You have exceeded your GPU quota (60s requested vs. 56s left)..."
const QUOTA = /exceeded your GPU quota/;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Translate `text` with the Space at `url`. A full queue is retried `attempts` times in all,
 * waiting `backoffMs`, then twice that, and so on; the quota error is a QuotaError; any other
 * error is thrown as @gradio/client threw it.
 */
export async function translate(url, text, { attempts = 3, backoffMs = 100, token } = {}) {
  const client = await Client.connect(url, token ? { token } : {});
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await client.predict("/predict", { text });
        return result.data[0];
      } catch (error) {
        if (QUOTA.test(error.message)) throw new QuotaError(error.message);
        if (!BUSY.test(error.message) || attempt === attempts) throw error;
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  } finally {
    client.close();
  }
}
