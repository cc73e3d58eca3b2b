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
// exits 1 on any failure. The shared pieces are in lib.mjs.
//
// Playwright drives the system Chromium through `executablePath`: never run
// `npx playwright install`, which downloads a browser build of its own.

import {
  NAV_TIMEOUT_MS,
  check,
  checkAxe,
  checkHtmlLang,
  checkSameOrigin,
  fail,
  launchBrowser,
  note,
  parseBaseUrl,
  run,
  screenshot,
  step,
  tabTo,
  withTimeout,
} from "./lib.mjs";

const USAGE = "usage: node tests/browser/check.mjs BASE_URL CAPSULE_ID PROGRAMME_ID [SCREENSHOT_DIR]";
const LANGS = ["ar", "fr", "en"];
// The weight budget of one page on a first load, media excluded.
const PAGE_BUDGET_BYTES = 100_000;
const PLAY_SECONDS = 2;
const MIN_ADVANCE_SECONDS = 1;
const SCREENSHOT_KINDS = new Set(["home", "browse", "capsule"]);
const SCREENSHOT_LANGS = new Set(["fr", "ar"]);

// ------------------------------------------------------------- arguments ---

function parseArgs(argv) {
  const [base, capsule, programme, screenshots] = argv;
  if (!base || !capsule || !programme || argv.length > 4) {
    console.error(USAGE);
    process.exit(2);
  }
  return { ...parseBaseUrl(base, USAGE), capsule, programme, screenshots };
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
  const counted = [];
  let bytes = 0;
  await checkSameOrigin(label, requests, args.origin, {
    skipFailed: (request) => isMedia(request, null),
    onResponse: async (request, response) => {
      if (isMedia(request, response)) return;
      const size = await responseBytes(request, response);
      bytes += size;
      counted.push(`${size} B ${request.resourceType()} ${new URL(request.url()).pathname}`);
    },
  });
  check(
    `weight ${label}`,
    bytes <= PAGE_BUDGET_BYTES,
    `${bytes} B of non-media responses over ${counted.length} requests (budget ${PAGE_BUDGET_BYTES} B)`,
    bytes <= PAGE_BUDGET_BYTES ? [] : counted,
  );
}

/** `<html lang dir>` and a language switcher that leads to this page in each language. */
async function checkLanguage(label, page, lang, pagePath) {
  await checkHtmlLang(label, page, lang);

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
  const { reached, tabs } = await tabTo(page, link, 100);
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
        if (SCREENSHOT_KINDS.has(kind) && SCREENSHOT_LANGS.has(lang)) {
          await screenshot(args.screenshots, label, page, `${lang}-${kind}.png`);
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
  const browser = await launchBrowser(args.screenshots);
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

await run(main);
