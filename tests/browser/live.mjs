#!/usr/bin/env node
// Headless-Chromium check of a live room while ffmpeg pushes to it: the
// room in French and Arabic (right to left) passes axe-core, the video
// plays the live stream (Media Source fed from the playlist), a learner
// asks a question with the keyboard alone and hears it was sent while the
// video keeps playing, the teacher's approval appears in the learner's
// room without a reload, and no request leaves the origin.
//
//   node tests/browser/live.mjs BASE_URL SESSION_ID LEARNER TEACHER PASSWORD [SCREENSHOT_DIR]
//
// Needs `npm ci` in tests/browser and Chromium at /usr/bin/chromium (or
// CHROMIUM=/path). Prints PASS/FAIL lines and `browser: N passed, M failed`;
// exits 1 on any failure.

import {
  check,
  checkAxe,
  checkHtmlLang,
  checkSameOrigin,
  launchBrowser,
  parseBaseUrl,
  run,
  screenshot,
  signIn,
  step,
  tabTo,
} from "./lib.mjs";

const USAGE = "usage: node tests/browser/live.mjs BASE_URL SESSION_ID LEARNER TEACHER PASSWORD [SCREENSHOT_DIR]";
const [base, id, learner, teacher, password, screenshots] = process.argv.slice(2);
if (!base || !id || !learner || !teacher || !password) {
  console.error(USAGE);
  process.exit(2);
}
const { root, origin } = parseBaseUrl(base, USAGE);

const playing = (page) => page.locator("#live-video").evaluate((v) => v.currentTime);

run(async () => {
  const browser = await launchBrowser(screenshots);
  const requests = [];
  const learnerContext = await browser.newContext();
  const page = await signIn(learnerContext, root, learner, password);
  page.on("request", (r) => requests.push(r));

  await step("the room in French and Arabic", async () => {
    for (const lang of ["ar", "fr"]) {
      await page.goto(`${root}/${lang}/live/${id}`, { waitUntil: "load" });
      await checkHtmlLang(`/${lang}/live/…`, page, lang);
      await checkAxe(`/${lang}/live/…`, page);
    }
  });

  await step("the live video plays", async () => {
    await page.locator("#live-video").evaluate((v) => v.play().catch(() => {}));
    await page.waitForFunction(() => document.getElementById("live-video").currentTime > 1, null, { timeout: 30_000 }).catch(() => {});
    const t = await playing(page);
    check("video advances", t > 1, `currentTime ${t.toFixed(2)} s`);
    await screenshot(screenshots, "/fr/live/…", page, "live-room-fr.png");
  });

  await step("a question asked with the keyboard", async () => {
    const before = await playing(page);
    const box = page.getByLabel("Votre question");
    const { reached, tabs } = await tabTo(page, box, 80);
    check("keyboard reaches the question box", reached, `after ${tabs} Tab presses`);
    if (!reached) await box.focus();
    await page.keyboard.type("Pourquoi le dénominateur ne change pas ?");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    check("Tab moves to the send button", focused === "Envoyer ma question", `focused: ${focused}`);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("live-status").textContent.includes("Envoyé"), null, { timeout: 10_000 }).catch(() => {});
    const status = await page.locator("#live-status").textContent();
    check("sending is announced", status.includes("Envoyé"), `status: "${status}"`);
    const after = await playing(page);
    check("the video kept playing (no reload)", after >= before, `${before.toFixed(2)} → ${after.toFixed(2)} s`);
  });

  await step("the teacher's approval reaches the learner live", async () => {
    const teacherContext = await browser.newContext();
    const staff = await signIn(teacherContext, root, teacher, password);
    await staff.goto(`${root}/fr/live/${id}`, { waitUntil: "load" });
    await checkAxe("/fr/live/… (teacher)", staff);
    await screenshot(screenshots, "/fr/live/… (teacher)", staff, "live-room-teacher.png");
    const approve = staff.locator("#live-questions li").first().getByRole("button", { name: "Montrer à tous" });
    await approve.focus();
    await staff.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("live-questions").textContent.includes("dénominateur"), null, { timeout: 10_000 }).catch(() => {});
    const shown = await page.locator("#live-questions").textContent();
    check("approved question appears without a reload", shown.includes("dénominateur"), shown.replace(/\s+/g, " ").trim().slice(0, 120));
    await teacherContext.close();
  });

  await step("watching records that the learner attended", async () => {
    await page.waitForFunction(() => document.getElementById("live").dataset.attended === "1", null, { timeout: 60_000 }).catch(() => {});
    const attended = await page.locator("#live").evaluate((e) => e.dataset.attended === "1");
    check("an attended record is stored", attended, "POST /xapi/statements answered 200 after 10 s of watching");
  });

  await checkSameOrigin("live", requests, origin);
  await browser.close();
});
