// What the headless-Chromium checks (check.mjs, pictures.mjs) share: the
// PASS/FAIL/NOTE tally and its final `browser: N passed, M failed` line, the
// run with its watchdog and exit code, timeouts, BASE_URL parsing, launching
// the system Chromium, the same-origin request check, the <html lang dir>
// check, the axe-core WCAG 2.1 AA check, screenshots and reaching a link with
// Tab.
//
// Playwright drives the system Chromium through `executablePath`: never run
// `npx playwright install`, which downloads a browser build of its own.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

const RTL = new Set(["ar"]);
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FAILING_IMPACTS = new Set(["serious", "critical"]);
export const NAV_TIMEOUT_MS = 20_000;
const WHOLE_RUN_TIMEOUT_MS = 10 * 60_000;
export const CHROMIUM_ARGS = [
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

// ---------------------------------------------------------------- report ---

const tally = { passed: 0, failed: 0 };

export function pass(name, detail = "") {
  tally.passed += 1;
  console.log(`PASS ${name}${detail ? ` — ${detail}` : ""}`);
}

export function fail(name, detail = "", lines = []) {
  tally.failed += 1;
  console.log(`FAIL ${name}${detail ? ` — ${detail}` : ""}`);
  for (const line of lines) console.log(`       ${line}`);
}

export function check(name, ok, detail, lines = []) {
  if (ok) pass(name, detail);
  else fail(name, detail, lines);
}

export function note(name, detail) {
  console.log(`NOTE ${name} — ${detail}`);
}

/** Runs one step; an exception fails it instead of ending the run. */
export async function step(name, fn) {
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

/**
 * Runs `main` under a watchdog of WHOLE_RUN_TIMEOUT_MS, turns an exception
 * into a failure, prints the summary line and exits: 0 when nothing failed,
 * 1 otherwise.
 */
export async function run(main) {
  try {
    const watchdog = setTimeout(() => {
      fail("run", `not finished after ${WHOLE_RUN_TIMEOUT_MS / 1000} s`);
      summary();
      process.exit(1);
    }, WHOLE_RUN_TIMEOUT_MS);
    watchdog.unref();
    await main();
  } catch (err) {
    fail("run", `error: ${err?.stack ?? err}`);
  }
  summary();
  process.exit(tally.failed === 0 ? 0 : 1);
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------- arguments ---

/** `{ root, origin }` of BASE_URL (`root` without a final /); exits 2 with `usage` if it is not a URL. */
export function parseBaseUrl(base, usage) {
  let baseUrl;
  try {
    baseUrl = new URL(base);
  } catch {
    console.error(`BASE_URL is not a URL: ${base}\n${usage}`);
    process.exit(2);
  }
  return { root: baseUrl.href.replace(/\/+$/, ""), origin: baseUrl.origin };
}

// --------------------------------------------------------------- browser ---

/** Makes the screenshot directory, if any, and launches the system Chromium (CHROMIUM or /usr/bin/chromium). */
export async function launchBrowser(screenshots) {
  if (screenshots) await mkdir(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A full-page screenshot of `page` as `name` in `dir`, as one step; nothing without `dir`. */
export async function screenshot(dir, label, page, name) {
  if (!dir) return;
  await step(`screenshot ${label}`, async () => {
    const file = path.join(dir, name);
    await page.screenshot({ path: file, fullPage: true });
    pass(`screenshot ${label}`, file);
  });
}

// ---------------------------------------------------------------- checks ---

/**
 * Same-origin check over `requests`: FAILs those that leave `origin`, and
 * same-origin subresources that failed or answered 400 or more (not the page
 * itself, nor the favicon the browser asks for on its own). A request the
 * page cancelled (net::ERR_ABORTED) is not a failure; another that got no
 * response is left out when `skipFailed(request)` says so;
 * `onResponse(request, response)` is awaited for every same-origin response,
 * after its status is checked.
 */
export async function checkSameOrigin(label, requests, origin, { skipFailed = () => false, onResponse } = {}) {
  const foreign = [];
  const broken = [];
  for (const request of requests) {
    const url = request.url();
    if (/^(data|blob|about):/.test(url)) continue;
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      continue;
    }
    const response = await withTimeout(request.response(), 5_000, "response").catch(() => null);
    if (!response) {
      // ERR_ABORTED is the page cancelling its own request (a navigation,
      // a media element changing its source, a fetch left behind), not an
      // address that does not answer.
      const aborted = request.failure()?.errorText === "net::ERR_ABORTED";
      if (request.failure() && !aborted && !skipFailed(request)) {
        broken.push(`${url} (${request.resourceType()}: ${request.failure().errorText})`);
      }
      continue;
    }
    const automaticFavicon = new URL(url).pathname === "/favicon.ico" && request.resourceType() === "other";
    if (response.status() >= 400 && request.resourceType() !== "document" && !automaticFavicon) {
      broken.push(`${url} (${response.status()})`);
    }
    if (onResponse) await onResponse(request, response);
  }
  check(
    `same-origin ${label}`,
    foreign.length === 0,
    foreign.length === 0
      ? `${requests.length} requests, all to ${origin}`
      : `${foreign.length} of ${requests.length} requests leave ${origin}`,
    foreign.slice(0, 10),
  );
  if (broken.length) fail(`subresources ${label}`, `${broken.length} failed`, broken.slice(0, 10));
}

/** `<html lang dir>`: Arabic pages right to left, the others left to right. */
export async function checkHtmlLang(label, page, lang) {
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
}

/** axe-core WCAG 2.1 AA: serious and critical violations fail, the rest are noted. */
export async function checkAxe(label, page) {
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

/**
 * Signs `login` in through the French sign-in form of `root` in a new page
 * of `context`; returns the page, on the page the form led to.
 */
export async function signIn(context, root, login, password) {
  const page = await context.newPage();
  page.setDefaultTimeout(NAV_TIMEOUT_MS);
  await page.goto(`${root}/fr/login`, { waitUntil: "load" });
  await page.getByLabel("Identifiant").fill(login);
  await page.getByLabel("Mot de passe").fill(password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  return page;
}

/**
 * Presses Tab from the top of the document, as a keyboard user does, until
 * `link` has the focus or after `maxTabs` presses; returns `{ reached, tabs }`.
 */
export async function tabTo(page, link, maxTabs) {
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
  let tabs = 0;
  let reached = false;
  for (; tabs < maxTabs && !reached; ) {
    await page.keyboard.press("Tab");
    tabs += 1;
    reached = await link.evaluate((a) => document.activeElement === a);
  }
  return { reached, tabs };
}
