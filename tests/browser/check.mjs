#!/usr/bin/env node
// Headless-Chromium check of cartable's web UI, as a user and a screen-reader
// user would meet it: playback, keyboard language switch, WCAG 2.1 AA (axe-core),
// no request leaving the server's origin, and page weight.
//
//   node tests/browser/check.mjs BASE_URL CAPSULE_ID PROGRAMME_ID [SCREENSHOT_DIR]
//
// Needs `npm ci` in tests/browser and Chromium at /usr/bin/chromium (or
// CHROMIUM=/path). Prints one PASS/FAIL line per check, NOTE lines for what is
// worth reading but not failing, and ends with `browser: N passed, M failed`;
// exits 1 on any failure.
//
// Playwright drives the system Chromium through `executablePath`: never run
// `npx playwright install`, which downloads a browser build of its own.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

const USAGE = "usage: node tests/browser/check.mjs BASE_URL CAPSULE_ID PROGRAMME_ID [SCREENSHOT_DIR]";
const LANGS = ["ar", "fr", "en"];
const RTL = new Set(["ar"]);
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FAILING_IMPACTS = new Set(["serious", "critical"]);
// The weight budget of one page on a first load, media excluded.
const PAGE_BUDGET_BYTES = 100_000;
const PLAY_SECONDS = 2;
const MIN_ADVANCE_SECONDS = 1;
const NAV_TIMEOUT_MS = 20_000;
const WHOLE_RUN_TIMEOUT_MS = 10 * 60_000;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];
const SCREENSHOT_KINDS = new Set(["home", "browse", "capsule"]);
const SCREENSHOT_LANGS = new Set(["fr", "ar"]);

// ---------------------------------------------------------------- report ---

const tally = { passed: 0, failed: 0 };

function pass(name, detail = "") {
  tally.passed += 1;
  console.log(`PASS ${name}${detail ? ` — ${detail}` : ""}`);
}

function fail(name, detail = "", lines = []) {
  tally.failed += 1;
  console.log(`FAIL ${name}${detail ? ` — ${detail}` : ""}`);
  for (const line of lines) console.log(`       ${line}`);
}

function check(name, ok, detail, lines = []) {
  if (ok) pass(name, detail);
  else fail(name, detail, lines);
}

function note(name, detail) {
  console.log(`NOTE ${name} — ${detail}`);
}

/** Runs one step; an exception fails it instead of ending the run. */
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message ?? err.cause})` : "";
    fail(name, `error: ${String(err?.message ?? err).split("\n")[0]}${cause}`);
  }
}

function summary() {
  console.log(`browser: ${tally.passed} passed, ${tally.failed} failed`);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------- arguments ---

function parseArgs(argv) {
  const [base, capsule, programme, screenshots] = argv;
  if (!base || !capsule || !programme || argv.length > 4) {
    console.error(USAGE);
    process.exit(2);
  }
  let baseUrl;
  try {
    baseUrl = new URL(base);
  } catch {
    console.error(`BASE_URL is not a URL: ${base}\n${USAGE}`);
    process.exit(2);
  }
  const root = baseUrl.href.replace(/\/+$/, "");
  return { root, origin: baseUrl.origin, capsule, programme, screenshots };
}

const args = parseArgs(process.argv.slice(2));
const at = (p) => `${args.root}${p}`;
const capsulePath = (lang) => `/${lang}/capsules/${encodeURIComponent(args.capsule)}`;

// ----------------------------------------------------------------- pages ---

/** The page kinds to check in every language; `level` is the capsule's. */
function pageKinds(level) {
  const kinds = [
    { kind: "home", path: (l) => `/${l}/` },
    { kind: "browse", path: (l) => `/${l}/browse` },
    level && { kind: "browse-level", path: (l) => `/${l}/browse?level=${encodeURIComponent(level)}` },
    { kind: "programme", path: (l) => `/${l}/programmes/${encodeURIComponent(args.programme)}` },
    { kind: "capsule", path: capsulePath },
    { kind: "capsule-audio", path: (l) => `${capsulePath(l)}?quality=audio` },
    { kind: "not-found", path: (l) => `/${l}/capsules/does-not-exist`, status: 404 },
  ];
  return kinds.filter(Boolean);
}

/** Whether a response is media (video, audio, HLS), which the budget leaves out. */
function isMedia(request, response) {
  if (request.resourceType() === "media") return true;
  const type = (response?.headers()["content-type"] ?? "").toLowerCase();
  if (/^(video|audio)\//.test(type) || type.includes("mpegurl")) return true;
  const { pathname } = new URL(request.url());
  return /\.(m3u8|mp4|m4s|m4a|m4v|ts|aac|mp3|opus|ogg|oga|webm)$/i.test(pathname);
}

/** Bytes of the response body on the wire, or failing that its decoded length. */
async function responseBytes(request, response) {
  try {
    const sizes = await withTimeout(request.sizes(), 5_000, "request sizes");
    if (sizes.responseBodySize > 0) return sizes.responseBodySize;
  } catch {
    // Not finished or not measurable: fall back on the body, then the header.
  }
  try {
    return (await withTimeout(response.body(), 5_000, "response body")).length;
  } catch {
    return Number(response.headers()["content-length"] ?? 0);
  }
}

/**
 * Opens `url` as a first visit (a fresh context, an empty cache) and records
 * every request it makes. The caller closes `context`.
 */
async function openFresh(browser, url) {
  const context = await browser.newContext();
  context.setDefaultTimeout(NAV_TIMEOUT_MS);
  const requests = [];
  context.on("request", (r) => requests.push(r));
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e.message).split("\n")[0]));
  const response = await page.goto(url, { waitUntil: "load" });
  // Let late resources (lazy images, captions) arrive; a playing video may never idle.
  await page.waitForLoadState("networkidle", { timeout: 3_000 }).catch(() => {});
  return { context, page, response, requests, pageErrors };
}

/** Same-origin and weight checks over the requests of one first load. */
async function checkRequests(label, requests) {
  const foreign = [];
  const broken = [];
  const counted = [];
  let bytes = 0;
  for (const request of requests) {
    const url = request.url();
    if (/^(data|blob|about):/.test(url)) continue;
    if (new URL(url).origin !== args.origin) {
      foreign.push(url);
      continue;
    }
    const response = await withTimeout(request.response(), 5_000, "response").catch(() => null);
    if (!response) {
      if (request.failure() && !isMedia(request, null)) {
        broken.push(`${url} (${request.failure().errorText})`);
      }
      continue;
    }
    const automaticFavicon = new URL(url).pathname === "/favicon.ico" && request.resourceType() === "other";
    if (response.status() >= 400 && request.resourceType() !== "document" && !automaticFavicon) {
      broken.push(`${url} (${response.status()})`);
    }
    if (isMedia(request, response)) continue;
    const size = await responseBytes(request, response);
    bytes += size;
    counted.push(`${size} B ${request.resourceType()} ${new URL(url).pathname}`);
  }
  check(
    `same-origin ${label}`,
    foreign.length === 0,
    foreign.length === 0
      ? `${requests.length} requests, all to ${args.origin}`
      : `${foreign.length} of ${requests.length} requests leave ${args.origin}`,
    foreign.slice(0, 10),
  );
  if (broken.length) fail(`subresources ${label}`, `${broken.length} failed`, broken.slice(0, 10));
  check(
    `weight ${label}`,
    bytes <= PAGE_BUDGET_BYTES,
    `${bytes} B of non-media responses over ${counted.length} requests (budget ${PAGE_BUDGET_BYTES} B)`,
    bytes <= PAGE_BUDGET_BYTES ? [] : counted,
  );
}

/** `<html lang dir>` and a language switcher that leads to this page in each language. */
async function checkLanguage(label, page, lang, pagePath) {
  const html = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
  }));
  const wantDir = RTL.has(lang) ? "rtl" : "ltr";
  check(
    `html-lang ${label}`,
    html.lang === lang && html.dir === wantDir,
    `lang="${html.lang}" dir="${html.dir}" (want lang="${lang}" dir="${wantDir}")`,
  );

  const links = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("nav a[hreflang]")].map((a) => [a.getAttribute("hreflang"), a.href]),
    ),
  );
  const problems = [];
  for (const other of LANGS) {
    const want = new URL(at(pagePath.replace(/^\/[a-z]+\//, `/${other}/`)));
    if (!links[other]) {
      problems.push(`no <nav> link with hreflang="${other}"`);
      continue;
    }
    const got = new URL(links[other]);
    if (got.origin + got.pathname + got.search !== want.origin + want.pathname + want.search) {
      problems.push(`hreflang="${other}" goes to ${got.pathname}${got.search}, want ${want.pathname}${want.search}`);
    }
  }
  check(
    `switcher ${label}`,
    problems.length === 0,
    problems.length === 0 ? "ar, fr, en links lead to this page" : problems.join("; "),
  );
}

/** axe-core WCAG 2.1 AA: serious and critical violations fail, the rest are noted. */
async function checkAxe(label, page) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const describe = (v) => {
    const targets = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ");
    const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : "";
    return `${v.id} (${v.impact}) ×${v.nodes.length}: ${targets}${more} — ${v.help}`;
  };
  const failing = results.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  const lesser = results.violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
  check(
    `axe ${label}`,
    failing.length === 0,
    failing.length === 0
      ? `no serious or critical violation (${results.passes.length} rules passed)`
      : `${failing.length} serious/critical rule(s) violated`,
    failing.map(describe),
  );
  for (const v of lesser) note(`axe ${label}`, describe(v));
}

/** What each kind of page must show beyond the common checks. */
async function checkKind(label, kind, page) {
  if (kind === "capsule") {
    const player = await page.evaluate(() => {
      const el = document.querySelector("#player");
      if (!el) return null;
      return {
        tag: el.tagName.toLowerCase(),
        sources: [...el.querySelectorAll("source")].map((s) => ({ src: s.src, type: s.type })),
        src: el.getAttribute("src"),
      };
    });
    const hls = player?.sources.some((s) => /mpegurl/i.test(s.type) || /\.m3u8(\?|$)/.test(s.src));
    const mp4 = player?.sources.some((s) => /mp4/i.test(s.type) || /\.mp4(\?|$)/.test(s.src));
    check(
      `player ${label}`,
      player?.tag === "video" && hls && mp4,
      player
        ? `<${player.tag} id="player"> with sources: ${player.sources.map((s) => s.type || s.src).join(", ") || "none"}` +
            (player.src ? `, src=${player.src}` : "")
        : 'no element with id="player"',
    );
  } else if (kind === "capsule-audio") {
    const tag = await page.evaluate(() => document.querySelector("#player")?.tagName.toLowerCase() ?? null);
    check(`player ${label}`, tag === "audio", tag ? `#player is <${tag}>` : 'no element with id="player"');
  } else if (kind === "browse-level") {
    const listed = await page.evaluate(
      (id) => [...document.querySelectorAll("a[href]")].some((a) => new URL(a.href).pathname.endsWith(`/capsules/${id}`)),
      encodeURIComponent(args.capsule),
    );
    check(`listing ${label}`, listed, listed ? `links to capsule ${args.capsule}` : `no link to capsule ${args.capsule}`);
  }
}

// ---------------------------------------------------------------- checks ---

/** GET / answers with a redirect to one of the languages' home pages. */
async function checkRootRedirect() {
  const response = await fetch(at("/"), { redirect: "manual" });
  const location = response.headers.get("location");
  const target = location ? new URL(location, at("/")) : null;
  const ok =
    response.status >= 300 && response.status < 400 && target && /^\/(ar|fr|en)\/$/.test(target.pathname);
  check("redirect /", ok, `${response.status} → ${location ?? "no Location"}`);
}

/** The capsule's level, from the JSON API or else from the capsule page's links. */
async function findLevel(browser) {
  try {
    const response = await fetch(at(`/api/v1/capsules/${encodeURIComponent(args.capsule)}`));
    if (response.ok) {
      const json = await response.json();
      const level = json.level?.id ?? json.level ?? json.capsule?.level?.id ?? json.capsule?.level;
      if (typeof level === "string" && level) return { level, from: "the JSON API" };
    }
  } catch {
    // No API yet: read the page.
  }
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(at(capsulePath("en")), { timeout: NAV_TIMEOUT_MS });
    const level = await page.evaluate(() => {
      for (const a of document.querySelectorAll("a[href*='level=']")) {
        const value = new URL(a.href).searchParams.get("level");
        if (value) return value;
      }
      return null;
    });
    return { level, from: "the capsule page" };
  } finally {
    await context.close();
  }
}

/** 1. Muted playback of the capsule's video advances and says which source it took. */
async function checkPlayback(page) {
  await page.waitForSelector("#player", { state: "attached" });
  const r = await page.evaluate(
    async ([seconds, budgetMs]) => {
      const el = document.querySelector("#player");
      const state = () => ({
        tag: el.tagName.toLowerCase(),
        currentSrc: el.currentSrc,
        paused: el.paused,
        readyState: el.readyState,
        networkState: el.networkState,
        duration: el.duration,
        error: el.error ? `${el.error.code} ${el.error.message}` : null,
        sources: [...el.querySelectorAll("source")].map((s) => ({ src: s.src, type: s.type })),
      });
      el.muted = true;
      try {
        await Promise.race([
          el.play(),
          new Promise((_, reject) => setTimeout(() => reject(new Error("play() did not start")), budgetMs)),
        ]);
      } catch (e) {
        return { ...state(), playError: String(e?.message ?? e) };
      }
      const t0 = el.currentTime;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      return { ...state(), t0, t1: el.currentTime };
    },
    [PLAY_SECONDS, 10_000],
  );
  const chosen = r.sources.find((s) => s.src === r.currentSrc);
  const kind = /mpegurl/i.test(chosen?.type ?? "") || /\.m3u8(\?|$)/.test(r.currentSrc)
    ? "HLS playlist"
    : /\.mp4(\?|$)/.test(r.currentSrc) || /mp4/.test(chosen?.type ?? "")
      ? "progressive MP4"
      : "unknown kind";
  const advanced = typeof r.t1 === "number" ? r.t1 - r.t0 : NaN;
  const where = `currentSrc=${r.currentSrc || "(none)"} (${kind})`;
  if (r.playError) {
    fail("playback /en/capsule", `play() failed: ${r.playError}; ${where}`, [
      `readyState=${r.readyState} networkState=${r.networkState} error=${r.error} duration=${r.duration}`,
    ]);
    return;
  }
  check(
    "playback /en/capsule",
    r.tag === "video" && advanced >= MIN_ADVANCE_SECONDS,
    `<${r.tag}> advanced ${advanced.toFixed(2)} s in ${PLAY_SECONDS} s of muted play; ${where}`,
    [`readyState=${r.readyState} networkState=${r.networkState} paused=${r.paused} error=${r.error} duration=${r.duration}`],
  );
}

/** 2. The Arabic link of the switcher, reached with Tab and followed with Enter, gives an RTL page. */
async function checkKeyboardSwitch(page) {
  const before = new URL(page.url());
  const link = page.locator('nav a[hreflang="ar"]').first();
  if ((await link.count()) === 0) {
    fail("keyboard switch to ar", 'no <nav> link with hreflang="ar" on /en/capsule');
    return;
  }
  // Start from the top of the document, as a keyboard user does.
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
  let tabs = 0;
  let reached = false;
  for (; tabs < 100 && !reached; ) {
    await page.keyboard.press("Tab");
    tabs += 1;
    reached = await link.evaluate((a) => document.activeElement === a);
  }
  check(
    "keyboard reach ar link",
    reached,
    reached ? `focused after ${tabs} Tab presses` : "not reached after 100 Tab presses; focusing it directly",
  );
  if (!reached) await link.focus();
  const href = await link.evaluate((a) => a.href);
  await Promise.all([
    page.waitForURL((u) => u.href !== before.href, { waitUntil: "load", timeout: NAV_TIMEOUT_MS }),
    page.keyboard.press("Enter"),
  ]);
  const after = await page.evaluate(() => ({
    url: location.href,
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
  }));
  const samePage = new URL(after.url).pathname === before.pathname.replace(/^\/en\//, "/ar/");
  check(
    "keyboard switch to ar",
    after.dir === "rtl" && after.lang === "ar" && samePage,
    `Enter on the link to ${new URL(href).pathname} → now at ${new URL(after.url).pathname}: lang="${after.lang}" dir="${after.dir}"`,
  );
}

/** 3–5. Every page kind in every language, each as a first visit. */
async function checkPages(browser, level) {
  for (const lang of LANGS) {
    for (const { kind, path: pathOf, status = 200 } of pageKinds(level)) {
      const pagePath = pathOf(lang);
      const label = `${lang} ${kind} ${pagePath}`;
      let opened;
      await step(`load ${label}`, async () => {
        opened = await openFresh(browser, at(pagePath));
        const got = opened.response?.status();
        check(`status ${label}`, got === status, `${got} (want ${status})`);
      });
      if (!opened) continue;
      try {
        const { page, requests, pageErrors } = opened;
        await step(`same-origin ${label}`, () => checkRequests(label, requests));
        await step(`html-lang ${label}`, () => checkLanguage(label, page, lang, pagePath));
        await step(`page ${label}`, () => checkKind(label, kind, page));
        if (args.screenshots && SCREENSHOT_KINDS.has(kind) && SCREENSHOT_LANGS.has(lang)) {
          await step(`screenshot ${label}`, async () => {
            const file = path.join(args.screenshots, `${lang}-${kind}.png`);
            await page.screenshot({ path: file, fullPage: true });
            pass(`screenshot ${label}`, file);
          });
        }
        await step(`axe ${label}`, () => checkAxe(label, page));
        for (const e of pageErrors) note(`script ${label}`, e);
      } finally {
        await opened.context.close().catch(() => {});
      }
    }
  }
}

// ------------------------------------------------------------------ main ---

async function main() {
  const watchdog = setTimeout(() => {
    fail("run", `not finished after ${WHOLE_RUN_TIMEOUT_MS / 1000} s`);
    summary();
    process.exit(1);
  }, WHOLE_RUN_TIMEOUT_MS);
  watchdog.unref();

  if (args.screenshots) await mkdir(args.screenshots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    await step("redirect /", checkRootRedirect);

    const context = await browser.newContext();
    context.setDefaultTimeout(NAV_TIMEOUT_MS);
    try {
      const page = await context.newPage();
      const url = at(capsulePath("en"));
      let response;
      await step("load /en/capsule", async () => {
        response = await page.goto(url, { waitUntil: "load" });
      });
      if (response) {
        await step("playback /en/capsule", () => checkPlayback(page));
        await step("keyboard switch to ar", () => checkKeyboardSwitch(page));
      }
    } finally {
      await context.close().catch(() => {});
    }

    let level = null;
    await step("capsule level", async () => {
      const found = await findLevel(browser);
      level = found.level;
      check("capsule level", Boolean(level), level ? `${level} (from ${found.from})` : `not found in ${found.from}`);
    });
    await checkPages(browser, level);
  } finally {
    await browser.close().catch(() => {});
  }
}

try {
  await main();
} catch (err) {
  fail("run", `error: ${err?.stack ?? err}`);
}
summary();
process.exit(tally.failed === 0 ? 0 : 1);
