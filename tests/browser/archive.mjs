#!/usr/bin/env node
// Headless-Chromium check of the city archive as residents and archivists
// meet it: the archive's home in French and Arabic (right to left), a facet
// followed with the keyboard narrows the results, an item page shows its
// image; an archivist signs in, edits an item with the keyboard and sees it
// saved and in the item's history. Every page passes axe-core (WCAG 2.1
// AA), and no request leaves the origin.
//
//   node tests/browser/archive.mjs BASE_URL ITEM_ID ARCHIVIST PASSWORD [SCREENSHOT_DIR]
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
  tabTo,
} from "./lib.mjs";

const USAGE = "usage: node tests/browser/archive.mjs BASE_URL ITEM_ID ARCHIVIST PASSWORD [SCREENSHOT_DIR]";
const [base, item, login, password, screenshots] = process.argv.slice(2);
if (!base || !item || !login || !password) {
  console.error(USAGE);
  process.exit(2);
}
const { root, origin } = parseBaseUrl(base, USAGE);

run(async () => {
  const browser = await launchBrowser(screenshots);
  const requests = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(NAV_TIMEOUT_MS);
  page.on("request", (r) => requests.push(r));

  await step("archive home and a facet", async () => {
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/archive`, { waitUntil: "load" });
      await checkHtmlLang(`/${lang}/archive`, page, lang);
      await checkAxe(`/${lang}/archive`, page);
      await screenshot(screenshots, `/${lang}/archive`, page, `archive-${lang}.png`);
      const count = async () => Number((await page.locator('p[role="status"]').first().textContent()).replace(/\D+/g, ""));
      const before = await count();
      const facet = page.locator("nav.facets a").first();
      const { reached, tabs } = await tabTo(page, facet, 80);
      check(`keyboard reaches a facet ${lang}`, reached, `after ${tabs} Tab presses`);
      if (!reached) await facet.focus();
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      const after = await count();
      const current = await page.locator('nav.facets a[aria-current="true"]').count();
      check(`facet narrows ${lang}`, after > 0 && after < before && current === 1, `${before} → ${after} items, ${current} facet marked current`);
    }
  });

  await step("item page", async () => {
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/archive/items/${item}`, { waitUntil: "load" });
      await checkHtmlLang(`/${lang}/archive/items/…`, page, lang);
      await checkAxe(`/${lang}/archive/items/…`, page);
      const shown = await page.locator("main figure img").evaluate((img) => img.complete && img.naturalWidth > 0);
      check(`item image shown ${lang}`, shown, "the medium derivative loaded");
      await screenshot(screenshots, `/${lang}/archive/items/…`, page, `archive-item-${lang}.png`);
    }
  });

  await step("archivist edits with the keyboard", async () => {
    await page.goto(`${root}/fr/login?next=/fr/archive/items/${item}/edit`, { waitUntil: "load" });
    await page.getByLabel("Identifiant").fill(login);
    await page.getByLabel("Mot de passe").fill(password);
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    for (const lang of ["fr", "ar"]) {
      await page.goto(`${root}/${lang}/archive/items/${item}/edit`, { waitUntil: "load" });
      await checkHtmlLang(`/${lang}/archive/items/…/edit`, page, lang);
      await checkAxe(`/${lang}/archive/items/…/edit`, page);
      await screenshot(screenshots, `/${lang}/archive/items/…/edit`, page, `archive-edit-${lang}.png`);
    }
    await page.goto(`${root}/fr/archive/items/${item}/edit`, { waitUntil: "load" });
    const subject = page.getByLabel("Sujet dc:subject");
    await subject.focus();
    await page.keyboard.type("remparts");
    const save = page.getByRole("button", { name: "Enregistrer", exact: true });
    await save.focus();
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const saved = await page.getByRole("status").first().textContent();
    check("saved is announced", saved?.includes("Enregistré"), `status: "${saved?.trim()}"`);
    const history = await page.locator("main ol[reversed] li").first().textContent();
    check("history names the change", history?.includes("+ dc:subject: remparts"), history?.replace(/\s+/g, " ").trim());
  });

  await checkSameOrigin("archive", requests, origin);
  await browser.close();
});
