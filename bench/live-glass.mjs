#!/usr/bin/env node
// Glass-to-glass delay of a live room as a browser shows it: headless
// Chromium opens the room and plays; every second, the delay is the wall
// clock minus the moment the frame on screen was captured, which is the
// program date-time of the stream's first segment (ffmpeg's
// `-hls_flags program_date_time`) plus the video's current time. Prints
// one JSON line: {"samples": [...ms]}.
//
//   node bench/live-glass.mjs BASE_URL SESSION_ID SECONDS
import { createRequire } from "node:module";
const require = createRequire(new URL("../tests/browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [base, id, seconds] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
});
const page = await (await browser.newContext()).newPage();
// The first segment's date: the playlist's first PDT minus 2 s per
// segment before it (every segment is 2 s: a key frame every 2 s).
const text = await (await fetch(`${base}/live/${id}/index.m3u8`)).text();
const sequence = Number((/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text) || [0, 0])[1]);
const pdt = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(text)[1]);
const start = pdt - sequence * 2000;
await page.goto(`${base}/fr/live/${id}`, { waitUntil: "load" });
await page.locator("#live-video").evaluate((v) => v.play().catch(() => {}));
await page.waitForFunction(() => document.getElementById("live-video").currentTime > 0.5, null, { timeout: 30000 });
const samples = [];
for (let i = 0; i < Number(seconds); i++) {
  await page.waitForTimeout(1000);
  const t = await page.locator("#live-video").evaluate((v) => [Date.now(), v.currentTime, v.paused]);
  if (!t[2]) samples.push(t[0] - (start + t[1] * 1000));
}
console.log(JSON.stringify({ samples }));
await browser.close();
