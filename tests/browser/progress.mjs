#!/usr/bin/env node
// Headless-Chromium check that a learner's viewing follows them: signed in
// in one browser, they play a capsule and pause it; the player records xAPI
// statements to the platform's LRS. Signed in in a second browser (another
// device), the same capsule resumes where they stopped, and says so in a
// live region. Their "My learning" page lists the capsule, their teacher's
// dashboard of the class (and of the school) shows them in progress, and the city indicators
// count them; all pass axe-core (WCAG 2.1 AA) in French and Arabic, and no
// request leaves the origin.
//
//   node tests/browser/progress.mjs BASE_URL CAPSULE_ID LOGIN PASSWORD TEACHER TEACHER_PASSWORD CLASS_ID STAFF STAFF_PASSWORD [SCREENSHOT_DIR]
//
// Needs `npm ci` in tests/browser and Chromium at /usr/bin/chromium (or
// CHROMIUM=/path). Prints PASS/FAIL lines and `browser: N passed, M failed`;
// exits 1 on any failure.

import {
  NAV_TIMEOUT_MS,
  check,
  checkAxe,
  checkHtmlLang,
  checkSameOrigin,
  launchBrowser,
  parseBaseUrl,
  run,
  screenshot,
  step,
} from "./lib.mjs";

const USAGE =
  "usage: node tests/browser/progress.mjs BASE_URL CAPSULE_ID LOGIN PASSWORD TEACHER TEACHER_PASSWORD CLASS_ID STAFF STAFF_PASSWORD [SCREENSHOT_DIR]";
const PLAY_MS = 2500;
// How far the resumed position may be from the recorded one, in seconds.
const TOLERANCE_S = 0.75;

const [base, capsule, login, password, teacher, teacherPassword, classId, staff, staffPassword, screenshots] =
  process.argv.slice(2);
if (!base || !capsule || !login || !password || !teacher || !teacherPassword || !classId || !staff || !staffPassword) {
  console.error(USAGE);
  process.exit(2);
}
const { root, origin } = parseBaseUrl(base, USAGE);

/** A new browser context signed in through the login form. */
async function signedIn(browser, requests, who = login, secret = password) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(NAV_TIMEOUT_MS);
  page.on("request", (r) => requests.push(r));
  await page.goto(`${root}/fr/login`);
  await page.getByLabel("Identifiant").fill(who);
  await page.getByLabel("Mot de passe").fill(secret);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  return { context, page };
}

async function progress(page) {
  const r = await page.request.get(`${root}/api/v1/me/progress/${capsule}`);
  return r.ok() ? r.json() : null;
}

await run(async () => {
  const browser = await launchBrowser(screenshots);
  const requests = [];
  let recorded = null;

  await step("records viewing", async () => {
    const { page } = await signedIn(browser, requests);
    await page.goto(`${root}/fr/capsules/${capsule}`);
    await page.waitForFunction(() => document.getElementById("player")?.readyState >= 1);
    // Let the player learn who is watching before playing.
    await page.waitForLoadState("networkidle");
    const paused = await page.evaluate(async (ms) => {
      const v = document.getElementById("player");
      v.muted = true;
      await v.play();
      await new Promise((r) => setTimeout(r, ms));
      v.pause();
      return v.currentTime;
    }, PLAY_MS);
    // The record of the pause is on its way: wait for it (bounded).
    for (let i = 0; i < 50; i += 1) {
      recorded = await progress(page);
      if (recorded && recorded.position > 0) break;
      await page.waitForTimeout(100);
    }
    check(
      "record on pause",
      recorded && typeof recorded.position === "number" && Math.abs(recorded.position - paused) < 0.1,
      `paused at ${paused.toFixed(2)} s; the LRS says ${JSON.stringify(recorded?.position)}`,
    );
  });

  await step("resumes on another device", async () => {
    const { page } = await signedIn(browser, requests);
    await page.goto(`${root}/fr/capsules/${capsule}`);
    const note = page.locator("#resume-note");
    await note.filter({ hasText: /\d:\d\d/ }).waitFor();
    const at = await page.evaluate(() => document.getElementById("player").currentTime);
    check(
      "resume position",
      recorded && Math.abs(at - recorded.position) < TOLERANCE_S,
      `the player starts at ${at.toFixed(2)} s (recorded ${recorded?.position}); note: "${await note.textContent()}"`,
    );
    check("resume note is a status", (await note.getAttribute("role")) === "status", "role=status");
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/learning`);
      const going = await page.locator("ul.progress li").count();
      check(`learning page lists ${lang}`, going >= 1, `${going} capsule(s) to continue`);
      await checkHtmlLang(`/${lang}/learning`, page, lang);
      await checkAxe(`/${lang}/learning`, page);
      await screenshot(screenshots, `/${lang}/learning`, page, `learning-${lang}.png`);
    }
  });

  await step("teacher dashboard", async () => {
    const { page } = await signedIn(browser, requests, teacher, teacherPassword);
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/teach/classes/${classId}/progress`);
      const going = await page.locator("table.matrix td.going").count();
      check(`dashboard shows progress ${lang}`, going >= 1, `${going} cell(s) in progress`);
      const minutes = await page.locator("table.matrix tbody tr:has(td.going) td").nth(-2).textContent();
      check(`dashboard counts time ${lang}`, Number(minutes) >= 1, `${minutes} minute(s) for a few seconds watched`);
      await checkHtmlLang(`/${lang}/teach/…/progress`, page, lang);
      await checkAxe(`/${lang}/teach/…/progress`, page);
      await screenshot(screenshots, `/${lang}/teach/…/progress`, page, `dashboard-${lang}.png`);
      // The school's page, one link away.
      await Promise.all([page.waitForNavigation(), page.locator('a[href*="/teach/schools/"]').click()]);
      const rows = await page.locator("table tbody tr").count();
      check(`school page lists classes ${lang}`, rows >= 1, `${rows} rows`);
      const boxes = await page.locator("#boxes-h ~ section h3").count();
      check(`school page lists its box ${lang}`, boxes === 1, `${boxes} box(es)`);
      await checkHtmlLang(`/${lang}/teach/schools/…`, page, lang);
      await checkAxe(`/${lang}/teach/schools/…`, page);
    }
  });

  await step("city indicators", async () => {
    const { page } = await signedIn(browser, requests, staff, staffPassword);
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/indicators`);
      const today = await page.locator("#active-day-h + svg rect").last().getAttribute("height");
      check(`indicators count today ${lang}`, Number(today) > 0, `today's column is ${today} high`);
      const named = await page.locator("svg[role=img] title").count();
      check(`indicator charts are named images ${lang}`, named >= 6, `${named} charts with a title`);
      await checkHtmlLang(`/${lang}/indicators`, page, lang);
      await checkAxe(`/${lang}/indicators`, page);
      await screenshot(screenshots, `/${lang}/indicators`, page, `indicators-${lang}.png`);
    }
  });

  await step("offline boxes", async () => {
    const { page } = await signedIn(browser, requests, staff, staffPassword);
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/admin`);
      await Promise.all([page.waitForNavigation(), page.locator('a[href$="/admin/boxes"]').click()]);
      const boxes = await page.locator("main section h3").count();
      check(`boxes page lists the box ${lang}`, boxes === 1, `${boxes} box(es)`);
      await checkHtmlLang(`/${lang}/admin/boxes`, page, lang);
      await checkAxe(`/${lang}/admin/boxes`, page);
      await screenshot(screenshots, `/${lang}/admin/boxes`, page, `boxes-${lang}.png`);
    }
  });

  await checkSameOrigin("progress", requests, origin);
  await browser.close();
});
