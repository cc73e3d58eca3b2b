#!/usr/bin/env node
// Headless-Chromium check of a timed practice exam taken with the keyboard
// alone: the quiz list, the quiz page, a question and the review pass
// axe-core in French and Arabic (right to left); the learner starts, picks
// an answer and saves it with Tab, Space and Enter only, the next question
// comes, the saved answer is still picked after a reload, the attempt is
// finished and its review shows the score; the teacher's results page
// passes axe too; so do the course and competition pages (COMPETITION
// "idees" must exist), and a course is joined with the keyboard; no
// request leaves the origin.
//
//   node tests/browser/quiz.mjs BASE_URL QUIZ_ID LEARNER TEACHER PASSWORD [SCREENSHOT_DIR]
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

const USAGE = "usage: node tests/browser/quiz.mjs BASE_URL QUIZ_ID LEARNER TEACHER PASSWORD [SCREENSHOT_DIR]";
const [base, quiz, learner, teacher, password, screenshots] = process.argv.slice(2);
if (!base || !quiz || !learner || !teacher || !password) {
  console.error(USAGE);
  process.exit(2);
}
const { root, origin } = parseBaseUrl(base, USAGE);

/** Presses Enter on the focused control and waits for the next page. */
async function enter(page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
}

run(async () => {
  const browser = await launchBrowser(screenshots);
  const requests = [];
  const context = await browser.newContext();
  const page = await signIn(context, root, learner, password);
  page.on("request", (r) => requests.push(r));

  await step("the quiz list and the quiz page in Arabic and French", async () => {
    for (const lang of ["ar", "fr"]) {
      await page.goto(`${root}/${lang}/quizzes`, { waitUntil: "load" });
      await checkHtmlLang(`/${lang}/quizzes`, page, lang);
      await checkAxe(`/${lang}/quizzes`, page);
      await page.goto(`${root}/${lang}/quizzes/${quiz}`, { waitUntil: "load" });
      await checkAxe(`/${lang}/quizzes/${quiz}`, page);
    }
  });

  await step("start and answer with the keyboard alone", async () => {
    const start = page.getByRole("button", { name: "Commencer" });
    const { reached, tabs } = await tabTo(page, start, 60);
    check("keyboard reaches Start", reached, `after ${tabs} Tab presses`);
    if (!reached) await start.focus();
    await enter(page);
    const heading = await page.locator("h1").textContent();
    check("the first question comes", heading.includes("Question 1 /"), heading);
    await checkAxe("/fr/quizzes/…/attempts/… (question)", page);
    await screenshot(screenshots, "question fr", page, "quiz-question-fr.png");
    // Tab to the first option, pick it with Space, Tab on to the save button.
    // The paper is drawn per attempt: the first question may also be an
    // ordering or a matching one, answered with a select per line, each
    // given a different choice with the arrow keys.
    const answers = "fieldset.question input, fieldset.question select";
    const first = page.locator(answers).first();
    const got = await tabTo(page, first, 60);
    check("keyboard reaches the first answer", got.reached, `after ${got.tabs} Tab presses`);
    const type = await first.evaluate((e) => (e.tagName === "SELECT" ? "select" : e.type));
    if (type === "radio" || type === "checkbox") await page.keyboard.press("Space");
    else if (type === "select") {
      const lines = await page.locator("fieldset.question select").count();
      for (let k = 0; k < lines; k++) {
        for (let j = 0; j <= k; j++) await page.keyboard.press("ArrowDown");
        if (k + 1 < lines) await page.keyboard.press("Tab");
      }
    } else await page.keyboard.type("12");
    let focused = "";
    for (let i = 0; i < 20 && !focused.includes("Enregistrer"); i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    }
    check("Tab reaches the save button", focused.includes("Enregistrer"), `focused: ${focused}`);
    await enter(page);
    const next = await page.locator("h1").textContent();
    check("saving goes to the next question", next.includes("Question 2 /"), next);
    const answered = await page.locator("nav .quiz-nav li").first().textContent();
    check("the first question shows as answered", answered.includes("✓"), answered.trim());
    // Back to the first question: the answer is still there (a reload).
    await page.goto(page.url().replace(/q=\d+/, "q=1"), { waitUntil: "load" });
    const kept = await page.locator(answers).first().evaluate((i) => i.type === "radio" || i.type === "checkbox" ? i.checked : i.value !== "");
    check("the saved answer is kept after a reload", kept, "");
  });

  await step("finish and read the review", async () => {
    const finish = page.getByRole("button", { name: "Terminer la tentative" });
    await finish.focus();
    await enter(page);
    const status = await page.locator("p[role=status]").textContent();
    check("the review gives the score", status.includes("Votre note"), status.trim());
    await checkAxe("/fr/quizzes/…/attempts/… (review)", page);
    await screenshot(screenshots, "review fr", page, "quiz-review-fr.png");
    await page.goto(page.url().replace("/fr/", "/ar/"), { waitUntil: "load" });
    await checkHtmlLang("review ar", page, "ar");
    await checkAxe("/ar/quizzes/…/attempts/… (review)", page);
    await screenshot(screenshots, "review ar", page, "quiz-review-ar.png");
  });

  await step("the teacher's results", async () => {
    const staffContext = await browser.newContext();
    const staff = await signIn(staffContext, root, teacher, password);
    for (const lang of ["ar", "fr"]) {
      await staff.goto(`${root}/${lang}/quizzes/${quiz}/results`, { waitUntil: "load" });
      await checkAxe(`/${lang}/quizzes/…/results`, staff);
    }
    const rows = await staff.locator("table").first().locator("tbody tr").count();
    check("one row per question asked", rows > 0, `${rows} rows`);
    await screenshot(screenshots, "results fr", staff, "quiz-results-fr.png");
    await staffContext.close();
  });

  await step("courses and competitions in Arabic and French", async () => {
    for (const lang of ["ar", "fr"]) {
      for (const path of ["courses", "courses/teach-fractions", "competitions", "competitions/idees"]) {
        await page.goto(`${root}/${lang}/${path}`, { waitUntil: "load" });
        await checkAxe(`/${lang}/${path}`, page);
      }
    }
    const enrol = page.getByRole("button", { name: "S’inscrire" });
    await page.goto(`${root}/fr/courses/teach-fractions`, { waitUntil: "load" });
    await enrol.focus();
    await enter(page);
    const status = await page.locator("p[role=status]").textContent();
    check("enrolled with the keyboard", status.includes("0 / 5"), status.trim());
    await checkAxe("/fr/courses/teach-fractions (enrolled)", page);
    await screenshot(screenshots, "course fr", page, "course-fr.png");
    await page.goto(`${root}/ar/certificates/aaaa-bbbb-cccc`, { waitUntil: "load" });
    await checkAxe("/ar/certificates/… (unknown)", page);
  });

  await checkSameOrigin("quiz", requests, origin);
  await browser.close();
});
