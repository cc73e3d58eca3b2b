#!/usr/bin/env node
// Headless-Chromium check of the library and the literacy path:
//  - the library, book, series and literacy pages pass axe-core in Arabic
//    (right to left) and French;
//  - the demo audiobook is played with the keyboard alone: Play, next
//    chapter, speed (playbackRate changes, preservesPitch stays true), the
//    position said on request, a bookmark, pause; the place is resumed in
//    another browser (another device) from the records;
//  - a DAISY book (DAISY_ID) is walked by page and by heading;
//  - the literacy lesson is done without reading a word: by roles and audio
//    attributes only (the item pages' last navigation link, then in each
//    practice round the picture whose sound is the one asked); focusing a
//    control makes it speak; a wrong picture gives a picture and the same
//    round again;
//  - no request leaves the origin.
//
//   node tests/browser/library.mjs BASE_URL BOOK_ID DAISY_ID LEARNER PASSWORD [SCREENSHOT_DIR]

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

const USAGE = "usage: node tests/browser/library.mjs BASE_URL BOOK_ID DAISY_ID LEARNER PASSWORD [SCREENSHOT_DIR]";
const [base, book, daisy, learner, password, screenshots] = process.argv.slice(2);
if (!base || !book || !daisy || !learner || !password) {
  console.error(USAGE);
  process.exit(2);
}
const { root, origin } = parseBaseUrl(base, USAGE);

/** Tabs to the control and presses Enter on it; fails the check if Tab never reaches it. */
async function press(page, locator, name) {
  const { reached, tabs } = await tabTo(page, locator, 80);
  check(`keyboard reaches ${name}`, reached, `after ${tabs} Tab presses`);
  if (!reached) await locator.focus();
  await page.keyboard.press("Enter");
}

/** The player's state: track index, time, rate, pitch, paused, status text. */
async function player(page) {
  return page.evaluate(() => {
    const audio = document.getElementById("book-audio");
    const data = JSON.parse(document.getElementById("book-data").textContent);
    const track = data.tracks.findIndex((t) => audio.currentSrc.endsWith(t.src));
    return {
      track,
      time: audio.currentTime,
      rate: audio.playbackRate,
      pitch: audio.preservesPitch,
      paused: audio.paused,
      status: document.getElementById("book-status").textContent,
      bookmarks: document.querySelectorAll("#book-bookmarks li").length,
    };
  });
}

run(async () => {
  const browser = await launchBrowser(screenshots);
  const requests = [];
  const context = await browser.newContext();
  const page = await signIn(context, root, learner, password);
  page.on("request", (r) => requests.push(r));

  await step("library, book, series and literacy pages pass axe in Arabic and French", async () => {
    for (const lang of ["ar", "fr"]) {
      for (const path of [
        "/library",
        `/library/${book}`,
        `/library/${daisy}`,
        "/series/heure-du-conte",
        "/literacy",
        "/literacy/alif-ba/ba-ta-sa",
        "/literacy/alif-ba/ba-ta-sa/practice",
      ]) {
        await page.goto(`${root}/${lang}${path}`, { waitUntil: "load" });
        if (path === "/library") await checkHtmlLang(`/${lang}${path}`, page, lang);
        await checkAxe(`/${lang}${path}`, page);
      }
    }
    await page.goto(`${root}/ar/library/${book}`, { waitUntil: "load" });
    await screenshot(screenshots, "book ar", page, "library-book-ar.png");
  });

  let place = null;
  await step("the book plays with the keyboard alone", async () => {
    await page.goto(`${root}/fr/library/${book}`, { waitUntil: "load" });
    await press(page, page.getByRole("button", { name: "Lire" }), "Play");
    await page.waitForFunction(() => {
      const a = document.getElementById("book-audio");
      return !a.paused && a.currentTime > 0.3;
    }, null, { timeout: 15000 });
    check("Play plays", true, "the audio advances");
    await press(page, page.getByRole("button", { name: "Chapitre suivant" }), "Next chapter");
    await page.waitForFunction(() => document.getElementById("book-status").textContent.includes("Chapitre 2"));
    let p = await player(page);
    check("next chapter", p.track === 1, `track ${p.track}, “${p.status}”`);
    const speed = page.getByLabel("Vitesse");
    const { reached } = await tabTo(page, speed, 80);
    check("keyboard reaches Speed", reached);
    if (!reached) await speed.focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.getElementById("book-audio").playbackRate === 1.5);
    p = await player(page);
    check("speed changes, pitch kept", p.rate === 1.5 && p.pitch === true, `rate ${p.rate}, preservesPitch ${p.pitch}`);
    await press(page, page.getByRole("button", { name: "Où suis-je ?" }), "Where am I");
    await page.waitForFunction(() => /Chapitre 2 sur 3.*sur/.test(document.getElementById("book-status").textContent));
    p = await player(page);
    check("the position is said", p.status.includes("Chapitre 2 sur 3"), `“${p.status}”`);
    await press(page, page.getByRole("button", { name: "Ajouter un signet" }), "Add a bookmark");
    await page.waitForFunction(() => document.querySelectorAll("#book-bookmarks li").length === 1);
    check("a bookmark is kept", true);
    await page.waitForTimeout(1200);
    const saved = page.waitForResponse((r) => r.url().endsWith("/xapi/statements") && r.request().method() === "POST");
    await press(page, page.getByRole("button", { name: "Pause" }), "Pause");
    const response = await saved;
    check("pausing records the place", response.status() === 200, `LRS answered ${response.status()}`);
    p = await player(page);
    check("paused", p.paused, "");
    place = p;
    await screenshot(screenshots, "book fr playing", page, "library-book-fr.png");
  });

  await step("the place resumes in another browser", async () => {
    const other = await browser.newContext();
    const second = await signIn(other, root, learner, password);
    second.on("request", (r) => requests.push(r));
    await second.goto(`${root}/fr/library/${book}`, { waitUntil: "load" });
    await second.waitForFunction(() => document.getElementById("book-status").textContent.includes("Reprise"), null, { timeout: 10000 });
    await second.waitForFunction(() => document.getElementById("book-audio").readyState >= 1);
    const p = await player(second);
    check(
      "resumed at the same place",
      place && p.track === place.track && Math.abs(p.time - place.time) < 1.5,
      `track ${p.track} at ${p.time.toFixed(1)} s; left at track ${place?.track} ${place?.time.toFixed(1)} s`,
    );
    await other.close();
  });

  await step("a DAISY book is walked by page and by heading", async () => {
    await page.goto(`${root}/fr/library/${daisy}`, { waitUntil: "load" });
    await press(page, page.getByRole("button", { name: "Page suivante" }), "Next page");
    await page.waitForFunction(() => document.getElementById("book-status").textContent.includes("Page 1"));
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("book-status").textContent.includes("Page 2"));
    check("next page twice", true, "Page 1, then Page 2");
    await press(page, page.getByRole("button", { name: "Titre suivant" }), "Next heading");
    await page.waitForFunction(() => document.getElementById("book-status").textContent.includes("Le souk"));
    await page.waitForFunction(() => document.getElementById("book-audio").readyState >= 1);
    const p = await player(page);
    check("next heading goes to the next file", p.track === 1, `track ${p.track}, “${p.status}”`);
  });

  await step("the literacy lesson without reading a word", async () => {
    await page.goto(`${root}/ar/literacy`, { waitUntil: "load" });
    const card = page.getByRole("main").getByRole("link").last();
    const say = await card.getAttribute("data-say");
    await card.focus();
    await page.waitForFunction((s) => document.getElementById("lit-voice").src.endsWith(s), say);
    check("a focused control speaks", true, "its prompt is played");
    await card.click();
    // Item by item: the last link of the lesson's navigation goes on.
    let items = 0;
    while (!page.url().includes("/practice") && items < 10) {
      const sound = await page.locator("audio#lit-item-sound").getAttribute("src");
      check(`item ${items + 1} has its sound`, !!sound, sound);
      await page.getByRole("navigation").last().getByRole("link").last().click();
      await page.waitForLoadState("load");
      items += 1;
    }
    check("every item seen", items === 3, `${items} items`);
    await screenshot(screenshots, "literacy practice", page, "literacy-practice-ar.png");
    let rounds = 0;
    let missed = false;
    while ((await page.locator("audio[data-target]").count()) > 0 && rounds < 10) {
      const target = await page.locator("audio[data-target]").getAttribute("src");
      const choices = page.getByRole("main").getByRole("button").filter({ has: page.locator("img") });
      const n = await choices.count();
      let right = null;
      let wrong = null;
      for (let i = 0; i < n; i++) {
        const audio = await choices.nth(i).getAttribute("data-audio");
        if (audio === target) right = choices.nth(i);
        else wrong = choices.nth(i);
      }
      check(`round ${rounds + 1} offers the sound's picture`, right !== null, `${n} pictures`);
      if (!missed && wrong) {
        missed = true;
        await Promise.all([page.waitForNavigation(), wrong.click()]);
        const again = await page.locator("audio[data-target]").getAttribute("src");
        const feedback = await page.getByRole("main").getByRole("img").count();
        check("a wrong picture: a picture says so, the same sound again", again === target && feedback > 0, "");
        continue;
      }
      await Promise.all([page.waitForNavigation(), right.click()]);
      rounds += 1;
    }
    check("every round answered", rounds === 3, `${rounds} rounds`);
    const home = page.getByRole("main").getByRole("link");
    check("the end shows pictures and a way home", (await page.getByRole("main").getByRole("img").count()) > 0 && (await home.count()) === 1, "");
    await screenshot(screenshots, "literacy done", page, "literacy-done-ar.png");
  });

  await checkSameOrigin("library and literacy", requests, origin);
  await browser.close();
});
