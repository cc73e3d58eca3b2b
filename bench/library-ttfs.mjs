#!/usr/bin/env node
// Time to first sound on a throttled connection: for each LABEL=URL, RUNS
// times in a fresh browser context (nothing cached), the page is opened on
// a 256 kbit/s (down) connection with 100 ms of latency, its Play button
// pressed as soon as the document is there, and the time measured from the
// start of the navigation to the audio's `playing` event with its clock
// moving. Prints a Markdown table of medians.
//
//   node bench/library-ttfs.mjs RUNS LABEL=URL…
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const [runsText, ...targets] = process.argv.slice(2);
const RUNS = Number(runsText) || 5;
const DOWN_BYTES_PER_S = 256_000 / 8;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
});

async function once(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 100,
    downloadThroughput: DOWN_BYTES_PER_S,
    uploadThroughput: DOWN_BYTES_PER_S,
  });
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
  const audio = page.locator("audio").first();
  if ((await audio.count()) === 0) throw new Error(`${url}: no audio element (page title: ${await page.title()})`);
  // The time of first sound, in ms since the navigation started.
  await audio.evaluate((a) => {
    window.__firstSound = new Promise((resolve) => {
      const check = () => {
        if (!a.paused && a.currentTime > 0) resolve(performance.now());
        else requestAnimationFrame(check);
      };
      a.addEventListener("playing", check, { once: true });
    });
  });
  await page.getByRole("button", { name: /^(Lire|Play)$/ }).first().click();
  const heard = await page.evaluate(() => window.__firstSound);
  await context.close();
  return heard / 1000;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log("| served | median | min | max |");
console.log("| --- | ---: | ---: | ---: |");
for (const target of targets) {
  const at = target.indexOf("=");
  const label = target.slice(0, at);
  const url = target.slice(at + 1);
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await once(url));
  console.log(
    `| ${label} | ${median(times).toFixed(2)} s | ${Math.min(...times).toFixed(2)} s | ${Math.max(...times).toFixed(2)} s |`,
  );
}
await browser.close();
