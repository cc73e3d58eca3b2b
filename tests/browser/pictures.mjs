#!/usr/bin/env node
// Headless-Chromium check of cartable's picture sign-in, as a child with a
// keyboard and a screen-reader user would meet it: the link from the login
// page reached with Tab, the class list, the learner grid and the keypad
// found by their accessible names, a wrong then a right picture password
// (the first picture chosen with the arrow keys), WCAG 2.1 AA (axe-core) in
// French and Arabic, keys large enough to tap on a phone, and no request
// leaving the server's origin.
//
//   node tests/browser/pictures.mjs BASE_URL CLASS_ID LEARNER_NAME PIC1 PIC2 PIC3 [SCREENSHOT_DIR]
//
// PIC1..PIC3 are the learner's picture password, in order, among sun, moon,
// star, tree, flower, fish, house, heart, apple. The class must have picture
// sign-in on. The run makes ONE wrong attempt: the server locks a learner out
// after 5 within 15 minutes, so do not loop this script on one learner.
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
  pass,
  run,
  screenshot as saveScreenshot,
  step,
  tabTo,
  withTimeout,
} from "./lib.mjs";

const USAGE =
  "usage: node tests/browser/pictures.mjs BASE_URL CLASS_ID LEARNER_NAME PIC1 PIC2 PIC3 [SCREENSHOT_DIR]";
// A small phone, where a child taps the keys with a finger.
const PHONE_VIEWPORT = { width: 360, height: 740 };
// WCAG 2.5.5 (target size, enhanced): 44×44 CSS px.
const MIN_TARGET_PX = 44;
const MAX_TABS = 40;

// The keypad's pictures, in the server's order (KEY_PICTURES).
const KEY_PICTURES = ["sun", "moon", "star", "tree", "flower", "fish", "house", "heart", "apple"];
const PASSWORD_LEN = 3;
// The words of the pages, from crates/cartable-web/locales/{fr,ar}.ftl.
const WORDS = {
  fr: {
    loginPictures: "Se connecter avec des images",
    pickClass: "Choisis ta classe",
    pickYourself: "Trouve ton image",
    step: (n) => `Image ${n}`,
    go: "Entrer",
    wrong: "Ce ne sont pas tes images. Essaie encore.",
    account: "Mon compte",
    pictures: {
      sun: "soleil",
      moon: "lune",
      star: "étoile",
      tree: "arbre",
      flower: "fleur",
      fish: "poisson",
      house: "maison",
      heart: "cœur",
      apple: "pomme",
    },
  },
  ar: {
    loginPictures: "الدخول بالصور",
    pickClass: "اختر قسمك",
    pickYourself: "ابحث عن صورتك",
    step: (n) => `الصورة ${n}`,
    go: "ادخل",
    wrong: "هذه ليست صورك. حاول مرة أخرى.",
    pictures: {
      sun: "شمس",
      moon: "قمر",
      star: "نجمة",
      tree: "شجرة",
      flower: "زهرة",
      fish: "سمكة",
      house: "بيت",
      heart: "قلب",
      apple: "تفاحة",
    },
  },
};

// ------------------------------------------------------------- arguments ---

function parseArgs(argv) {
  const [base, classId, learner, p1, p2, p3, screenshots] = argv;
  if (!base || !classId || !learner || !p1 || !p2 || !p3 || argv.length > 7) {
    console.error(USAGE);
    process.exit(2);
  }
  const { root, origin } = parseBaseUrl(base, USAGE);
  const password = [p1, p2, p3];
  const unknown = password.filter((p) => !KEY_PICTURES.includes(p));
  if (unknown.length) {
    console.error(`not a keypad picture: ${unknown.join(", ")} (want one of ${KEY_PICTURES.join(", ")})\n${USAGE}`);
    process.exit(2);
  }
  return { root, origin, classId, learner, password, screenshots };
}

const args = parseArgs(process.argv.slice(2));
const at = (p) => `${args.root}${p}`;
/** The path part of `at(p)`, to compare with `location.pathname`. */
const pathAt = (p) => new URL(at(p)).pathname;
const pathOf = (url) => new URL(url).pathname;
const picturesPath = (lang) => `/${lang}/signin/pictures`;
const classPath = (lang) => `${picturesPath(lang)}/${encodeURIComponent(args.classId)}`;
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const squash = (s) => (s ?? "").replace(/\s+/g, " ").trim();

// ----------------------------------------------------------------- pages ---

/** A context whose every request lands in `requests`, for the same-origin check. */
async function newContext(browser, requests) {
  const context = await browser.newContext({ viewport: PHONE_VIEWPORT });
  context.setDefaultTimeout(NAV_TIMEOUT_MS);
  context.on("request", (r) => requests.push(r));
  return context;
}

/** A screenshot `name` in SCREENSHOT_DIR, if given. */
const screenshot = (label, page, name) => saveScreenshot(args.screenshots, label, page, name);

/** The page's `<h2>`-or-other heading named `name` is there. */
async function checkHeading(label, page, name) {
  const count = await page.getByRole("heading", { name, exact: true }).count();
  const headings = count
    ? []
    : (await page.getByRole("heading").allInnerTexts()).map(squash);
  check(
    `heading ${label}`,
    count > 0,
    count > 0 ? `"${name}"` : `no heading "${name}"; headings: ${headings.map((h) => `"${h}"`).join(", ") || "none"}`,
  );
}

/** The class's link on the class list: `a.pick` to …/signin/pictures/CLASS_ID, and its accessible name. */
async function findClassLink(label, page, lang) {
  const want = pathAt(classPath(lang));
  const found = await page.evaluate(
    (want) =>
      [...document.querySelectorAll("ul.picks a.pick")]
        .filter((a) => new URL(a.href).pathname === want)
        .map((a) => a.textContent),
    want,
  );
  const text = squash(found[0]);
  check(
    `class link ${label}`,
    found.length === 1 && text !== "",
    found.length === 1 ? `"${text}" → ${want}` : `${found.length} ul.picks a.pick links to ${want}`,
  );
  if (found.length !== 1 || !text) return null;
  // Found by its name, as a screen reader lists links: the name must be the visible text.
  const link = page.getByRole("link", { name: new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) });
  const count = await link.count();
  check(`class link name ${label}`, count === 1, `${count} link(s) named "${text}"`);
  return count === 1 ? link : null;
}

/** The learner's link on the learner grid, by name, leading to the keypad. */
async function findLearnerLink(label, page, lang) {
  const link = page.getByRole("link", { name: args.learner, exact: true });
  const count = await link.count();
  if (count !== 1) {
    const names = (await page.locator("a.pick").allInnerTexts()).map(squash);
    fail(
      `learner link ${label}`,
      `${count} link(s) named "${args.learner}"; a.pick links: ${names.map((n) => `"${n}"`).join(", ") || "none"}`,
    );
    return null;
  }
  const href = await link.evaluate((a) => a.href);
  const prefix = `${pathAt(classPath(lang))}/`;
  const target = pathOf(href);
  const ok = target.startsWith(prefix) && target.length > prefix.length && !target.slice(prefix.length).includes("/");
  const pick = await link.evaluate((a) => a.matches("a.pick"));
  const hiddenSvg = await link.evaluate((a) =>
    [...a.querySelectorAll("svg")].every((s) => s.getAttribute("aria-hidden") === "true"),
  );
  check(
    `learner link ${label}`,
    ok && pick && hiddenSvg,
    `"${args.learner}" → ${target}${pick ? "" : " (not a.pick)"}${hiddenSvg ? "" : " (an svg lacks aria-hidden)"}`,
  );
  return ok ? link : null;
}

/** Follows `link` with a click and waits for the page at `wantPath` (a path or a test). */
async function follow(page, link, wantPath) {
  const test = typeof wantPath === "function" ? wantPath : (p) => p === wantPath;
  await Promise.all([
    page.waitForURL((u) => test(u.pathname), { waitUntil: "load", timeout: NAV_TIMEOUT_MS }),
    link.click(),
  ]);
}

const isKeypadPath = (lang) => (p) => {
  const prefix = `${pathAt(classPath(lang))}/`;
  return p.startsWith(prefix) && p.length > prefix.length && !p.slice(prefix.length).includes("/");
};

/** The keypad radio of picture `id` in row `n`, found as a screen reader finds it. */
function keypadRadio(page, lang, n, id) {
  return page
    .getByRole("group", { name: WORDS[lang].step(n), exact: true })
    .getByRole("radio", { name: WORDS[lang].pictures[id], exact: true });
}

/** Three groups named by their legends, each with the nine pictures as named radios p1/p2/p3. */
async function checkKeypad(label, page, lang) {
  const problems = [];
  for (let n = 1; n <= PASSWORD_LEN; n += 1) {
    const name = WORDS[lang].step(n);
    const group = page.getByRole("group", { name, exact: true });
    const groups = await group.count();
    if (groups !== 1) {
      problems.push(`${groups} group(s) named "${name}"`);
      continue;
    }
    const isKeypad = await group.evaluate((f) => f.matches("fieldset.keypad"));
    if (!isKeypad) problems.push(`group "${name}" is not a fieldset.keypad`);
    const radios = await group.getByRole("radio").count();
    if (radios !== KEY_PICTURES.length) problems.push(`group "${name}" has ${radios} radios, want ${KEY_PICTURES.length}`);
    for (const id of KEY_PICTURES) {
      const radio = keypadRadio(page, lang, n, id);
      const count = await radio.count();
      if (count !== 1) {
        problems.push(`group "${name}": ${count} radio(s) named "${WORDS[lang].pictures[id]}"`);
        continue;
      }
      const got = await radio.evaluate((r) => ({
        name: r.name,
        value: r.value,
        inKey: Boolean(r.closest("label.key")),
      }));
      if (got.name !== `p${n}` || got.value !== id || !got.inKey) {
        problems.push(
          `"${name}" / "${WORDS[lang].pictures[id]}": name="${got.name}" value="${got.value}"` +
            `${got.inKey ? "" : " not in label.key"} (want name="p${n}" value="${id}")`,
        );
      }
    }
  }
  const button = await page.getByRole("button", { name: WORDS[lang].go, exact: true }).count();
  if (button !== 1) problems.push(`${button} button(s) named "${WORDS[lang].go}"`);
  check(
    `keypad ${label}`,
    problems.length === 0,
    problems.length === 0
      ? `${PASSWORD_LEN} groups "${WORDS[lang].step(1)}"… of ${KEY_PICTURES.length} named radios, button "${WORDS[lang].go}"`
      : `${problems.length} problem(s)`,
    problems.slice(0, 10),
  );
}

/** Every `label.key` is at least 44×44 CSS px on the phone viewport. */
async function checkTargetSize(label, page) {
  const keys = page.locator("label.key");
  const count = await keys.count();
  const small = [];
  let minWidth = Infinity;
  let minHeight = Infinity;
  for (let i = 0; i < count; i += 1) {
    const key = keys.nth(i);
    const box = await key.boundingBox();
    const text = squash(await key.innerText().catch(() => ""));
    if (!box) {
      small.push(`key ${i + 1} "${text}": not rendered`);
      continue;
    }
    minWidth = Math.min(minWidth, box.width);
    minHeight = Math.min(minHeight, box.height);
    if (box.width < MIN_TARGET_PX || box.height < MIN_TARGET_PX) {
      small.push(`key ${i + 1} "${text}": ${box.width.toFixed(1)}×${box.height.toFixed(1)} px`);
    }
  }
  const want = PASSWORD_LEN * KEY_PICTURES.length;
  check(
    `target size ${label}`,
    count === want && small.length === 0,
    count === 0
      ? "no label.key"
      : `${count} label.key (want ${want}) at ${PHONE_VIEWPORT.width}×${PHONE_VIEWPORT.height}, smallest ` +
          `${minWidth.toFixed(1)}×${minHeight.toFixed(1)} px (want ≥ ${MIN_TARGET_PX}×${MIN_TARGET_PX})`,
    small.slice(0, 10),
  );
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) note(`target size ${label}`, `the page is ${overflow} px wider than the viewport: it scrolls sideways`);
}

/** Submits the keypad with its button; returns the POST's response (a 303 when it redirects). */
async function submitKeypad(page, lang) {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && r.isNavigationRequest(), { timeout: NAV_TIMEOUT_MS }),
    page.waitForEvent("load", { timeout: NAV_TIMEOUT_MS }),
    page.getByRole("button", { name: WORDS[lang].go, exact: true }).click(),
  ]);
  return withTimeout(request.response(), NAV_TIMEOUT_MS, "keypad response");
}

// ---------------------------------------------------------------- checks ---

/** 1. From /fr/login, Tab to the picture link and follow it with Enter. */
async function checkKeyboardToPictures(page) {
  const label = "fr login → pictures";
  const response = await page.goto(at("/fr/login"), { waitUntil: "load" });
  check(`status fr login /fr/login`, response?.status() === 200, `${response?.status()} (want 200)`);
  const link = page.getByRole("link", { name: WORDS.fr.loginPictures, exact: true });
  if ((await link.count()) !== 1) {
    fail(`keyboard reach ${label}`, `${await link.count()} link(s) named "${WORDS.fr.loginPictures}" on /fr/login`);
    return false;
  }
  const href = pathOf(await link.evaluate((a) => a.href));
  const want = pathAt(picturesPath("fr"));
  check(`picture link /fr/login`, href === want, `"${WORDS.fr.loginPictures}" → ${href} (want ${want})`);
  const { reached, tabs } = await tabTo(page, link, MAX_TABS);
  check(
    `keyboard reach ${label}`,
    reached,
    reached
      ? `focused after ${tabs} Tab presses`
      : `not reached after ${MAX_TABS} Tab presses; focusing it directly`,
  );
  if (!reached) await link.focus();
  await Promise.all([
    page.waitForURL((u) => u.pathname === want, { waitUntil: "load", timeout: NAV_TIMEOUT_MS }),
    page.keyboard.press("Enter"),
  ]);
  pass(`keyboard follow ${label}`, `Enter → ${pathOf(page.url())}`);
  return true;
}

/** The class list: right language, heading, the class's link; axe. Returns the class link. */
async function checkClassList(page, lang) {
  const label = `${lang} classes ${picturesPath(lang)}`;
  await checkHtmlLang(label, page, lang);
  await checkHeading(label, page, WORDS[lang].pickClass);
  const link = await findClassLink(label, page, lang);
  await step(`axe ${label}`, () => checkAxe(label, page));
  return link;
}

/** The learner grid: right language, heading, the learner's link; axe. Returns the learner link. */
async function checkLearners(page, lang) {
  const label = `${lang} learners ${classPath(lang)}`;
  await checkHtmlLang(label, page, lang);
  await checkHeading(label, page, WORDS[lang].pickYourself);
  const link = await findLearnerLink(label, page, lang);
  if (lang === "fr") await screenshot(label, page, "pictures-learners-fr.png");
  await step(`axe ${label}`, () => checkAxe(label, page));
  return link;
}

/** 2. A wrong password, picked by accessible names: the keypad again, with the alert. */
async function checkWrongAttempt(page, keypadPath) {
  const label = "fr wrong pictures";
  const [p1, p2, p3] = args.password;
  const wrong = [KEY_PICTURES.find((p) => p !== p1), p2, p3];
  for (const [i, id] of wrong.entries()) await keypadRadio(page, "fr", i + 1, id).check();
  const response = await submitKeypad(page, "fr");
  const alert = page.locator('p.alert[role="alert"]');
  await alert.first().waitFor({ state: "visible", timeout: NAV_TIMEOUT_MS }).catch(() => {});
  const text = squash(await alert.first().textContent().catch(() => null));
  const here = pathOf(page.url());
  const names = wrong.map((id) => WORDS.fr.pictures[id]).join(", ");
  check(
    label,
    response?.status() === 401 && text === WORDS.fr.wrong && here === keypadPath,
    `${names} → ${response?.status()} (want 401) at ${here} (want ${keypadPath}), alert "${text ?? "none"}"`,
  );
  if (response?.status() === 429) note(label, "the learner is locked out: wait 15 minutes before running again");
  // The keypad is back, whole and empty, with the alert announced to screen readers.
  const checked = await page.locator("fieldset.keypad input:checked").count();
  const rows = await page.locator("fieldset.keypad").count();
  check(
    `keypad again ${label}`,
    rows === PASSWORD_LEN && checked === 0,
    `${rows} fieldset.keypad (want ${PASSWORD_LEN}), ${checked} picture(s) still checked (want 0)`,
  );
}

/** 3. The right password: the first picture with the arrow keys, the others by name; then the account. */
async function checkRightAttempt(page) {
  const label = "fr right pictures";
  const [p1, p2, p3] = args.password;
  // Row 1 with the keyboard: focus its first picture, then move with ArrowDown
  // (a radio group moves the selection with the arrows; Space picks the focused one).
  const first = page.getByRole("group", { name: WORDS.fr.step(1), exact: true }).getByRole("radio").first();
  await first.focus();
  const moves = KEY_PICTURES.indexOf(p1);
  if (moves === 0) await page.keyboard.press("Space");
  for (let i = 0; i < moves; i += 1) await page.keyboard.press("ArrowDown");
  const target = keypadRadio(page, "fr", 1, p1);
  const focused = await target.evaluate((r) => document.activeElement === r);
  const checked = await target.isChecked();
  const others = await page
    .getByRole("group", { name: WORDS.fr.step(1), exact: true })
    .locator("input:checked")
    .count();
  check(
    `keyboard pick ${label}`,
    focused && checked && others === 1,
    `${moves === 0 ? "Space" : `${moves}× ArrowDown`} from "${WORDS.fr.pictures[KEY_PICTURES[0]]}" → ` +
      `"${WORDS.fr.pictures[p1]}" ${checked ? "checked" : "not checked"}, ${focused ? "focused" : "not focused"}, ` +
      `${others} checked in "${WORDS.fr.step(1)}"`,
  );
  if (!checked) await target.check();
  await keypadRadio(page, "fr", 2, p2).check();
  await keypadRadio(page, "fr", 3, p3).check();
  const response = await submitKeypad(page, "fr");
  const home = pathAt("/fr/");
  await page.waitForURL((u) => u.pathname === home, { waitUntil: "load", timeout: NAV_TIMEOUT_MS }).catch(() => {});
  const location = response?.headers()["location"] ?? null;
  const here = pathOf(page.url());
  check(
    label,
    response?.status() === 303 && here === home,
    `${[p1, p2, p3].map((id) => WORDS.fr.pictures[id]).join(", ")} → ${response?.status()} (want 303)` +
      ` to ${location ?? "no Location"}, now at ${here} (want ${home})`,
  );
  if (here !== home) {
    const alert = squash(await page.locator('[role="alert"]').first().textContent().catch(() => null));
    if (alert) note(label, `alert: "${alert}"`);
    return;
  }

  const account = await page.goto(at("/fr/account"), { waitUntil: "load" });
  const heading = await page.getByRole("heading", { name: WORDS.fr.account, exact: true }).count();
  const shown = (await page.locator("main").count())
    ? await page.locator("main").first().innerText()
    : await page.locator("body").innerText();
  check(
    "signed in fr /fr/account",
    account?.status() === 200 && pathOf(page.url()) === pathAt("/fr/account") && heading > 0 && shown.includes(args.learner),
    `${account?.status()} at ${pathOf(page.url())}, heading "${WORDS.fr.account}" ${heading > 0 ? "found" : "missing"}, ` +
      `"${args.learner}" ${shown.includes(args.learner) ? "shown" : "not shown"}`,
  );
}

/** 1–3, 6 and the French half of 4 and 7: the whole sign-in, as one child, on a phone. */
async function checkFrench(browser, requests) {
  const context = await newContext(browser, requests);
  try {
    const page = await context.newPage();
    let onList = false;
    await step("keyboard fr login → pictures", async () => {
      onList = await checkKeyboardToPictures(page);
    });
    if (!onList) {
      const response = await page.goto(at(picturesPath("fr")), { waitUntil: "load" });
      note("fr classes", `opened ${picturesPath("fr")} directly (${response?.status()})`);
    }

    let classLink = null;
    await step(`fr classes ${picturesPath("fr")}`, async () => {
      classLink = await checkClassList(page, "fr");
    });
    if (!classLink) return;
    await step(`open class fr ${classPath("fr")}`, async () => {
      await follow(page, classLink, pathAt(classPath("fr")));
      pass(`open class fr ${classPath("fr")}`, `click → ${pathOf(page.url())}`);
    });
    if (pathOf(page.url()) !== pathAt(classPath("fr"))) return;

    let learnerLink = null;
    await step(`fr learners ${classPath("fr")}`, async () => {
      learnerLink = await checkLearners(page, "fr");
    });
    if (!learnerLink) return;
    await step(`open keypad fr`, async () => {
      await follow(page, learnerLink, isKeypadPath("fr"));
      pass(`open keypad fr`, `click "${args.learner}" → ${pathOf(page.url())}`);
    });
    const keypadPath = pathOf(page.url());
    if (!isKeypadPath("fr")(keypadPath)) return;

    const label = `fr keypad ${keypadPath}`;
    await step(`html-lang ${label}`, () => checkHtmlLang(label, page, "fr"));
    await step(`keypad ${label}`, () => checkKeypad(label, page, "fr"));
    await step(`target size ${label}`, () => checkTargetSize(label, page));
    await screenshot(label, page, "pictures-keypad-fr.png");
    await step(`axe ${label}`, () => checkAxe(label, page));
    await step("fr wrong pictures", () => checkWrongAttempt(page, keypadPath));
    if (pathOf(page.url()) !== keypadPath) {
      await page.goto(new URL(keypadPath, args.origin).href, { waitUntil: "load" });
    }
    await step("fr right pictures", () => checkRightAttempt(page));
  } finally {
    await context.close().catch(() => {});
  }
}

/** The Arabic half of 4 and 7: right to left, axe-clean, in a fresh (signed-out) context. */
async function checkArabic(browser, requests) {
  const context = await newContext(browser, requests);
  try {
    const page = await context.newPage();
    await step(`ar classes ${picturesPath("ar")}`, async () => {
      const response = await page.goto(at(picturesPath("ar")), { waitUntil: "load" });
      check(`status ar classes ${picturesPath("ar")}`, response?.status() === 200, `${response?.status()} (want 200)`);
      await checkClassList(page, "ar");
    });

    let learnerLink = null;
    await step(`ar learners ${classPath("ar")}`, async () => {
      const response = await page.goto(at(classPath("ar")), { waitUntil: "load" });
      check(`status ar learners ${classPath("ar")}`, response?.status() === 200, `${response?.status()} (want 200)`);
      learnerLink = await checkLearners(page, "ar");
    });
    if (!learnerLink) return;
    await step("open keypad ar", async () => {
      await follow(page, learnerLink, isKeypadPath("ar"));
      pass("open keypad ar", `click "${args.learner}" → ${pathOf(page.url())}`);
    });
    const keypadPath = pathOf(page.url());
    if (!isKeypadPath("ar")(keypadPath)) return;

    const label = `ar keypad ${keypadPath}`;
    await step(`html-lang ${label}`, () => checkHtmlLang(label, page, "ar"));
    await step(`keypad ${label}`, () => checkKeypad(label, page, "ar"));
    await screenshot(label, page, "pictures-keypad-ar.png");
    await step(`axe ${label}`, () => checkAxe(label, page));
  } finally {
    await context.close().catch(() => {});
  }
}

// ------------------------------------------------------------------ main ---

async function main() {
  const browser = await launchBrowser(args.screenshots);
  const requests = [];
  try {
    await checkFrench(browser, requests);
    await checkArabic(browser, requests);
    await step("same-origin whole run", () => checkSameOrigin("whole run", requests, args.origin));
  } finally {
    await browser.close().catch(() => {});
  }
}

await run(main);
