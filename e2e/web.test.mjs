// End-to-end tests of the member web app in a real browser (Debian's Chromium,
// driven by Playwright), with axe-core checking every page. Run by e2e/run, which
// starts `madang serve` on a fresh, seeded database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.MADANG_URL;
const SHOTS = process.env.MADANG_WEB_SCREENSHOTS || "";
assert.ok(BASE, "MADANG_URL must name the server under test");
const AXE = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const PASSWORD = "web-e2e-password";

let browser;
let seminarPath;
let run = 0;

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
    ],
  });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  // An instructor opens a seminar for the members below to join.
  const context = await browser.newContext({ locale: "ko-KR" });
  const page = await context.newPage();
  await signUp(page, "e2e강사");
  await page.goto(`${BASE}/seminars`);
  await page.fill("#company", "마당대학교");
  await Promise.all([page.waitForURL(/added=1/), page.click("form:has(#company) button[type=submit]")]);
  await page.goto(`${BASE}/seminars/new`);
  await page.fill("#name", "러스트 비동기 세미나");
  await page.fill("#capacity", "30");
  await page.fill("#count", "4");
  await page.fill("#time", "19:30");
  await Promise.all([page.waitForURL(/\/seminars\/\d+$/), page.click("button[type=submit].primary")]);
  seminarPath = new URL(page.url()).pathname;
  await context.close();
});

after(async () => {
  await browser?.close();
});

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: name.endsWith("-full") });
}

/** axe-core on the page as it is: no serious or critical violation. */
async function axe(page, what) {
  // Injected through the DevTools protocol, so the page's own CSP stays in force.
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility of ${what}`,
  );
}

async function signUp(page, name) {
  await page.goto(`${BASE}/signup`);
  await page.fill("#name", name);
  await page.fill("#email", `${encodeURIComponent(name).replace(/%/g, "")}@madang.kr`);
  await page.fill("#password1", PASSWORD);
  await page.fill("#password2", PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click("form.form button[type=submit]")]);
}

/** The first board of the seeded tree, from the navigation. */
async function firstBoard(page) {
  const href = await page.locator("nav.boards a[href^='/boards/']").first().getAttribute("href");
  return href;
}

for (const [lang, size, device] of [
  ["ko-KR", "phone", PHONE],
  ["en-US", "desktop", DESKTOP],
]) {
  test(`a member signs up, writes, comments, votes, edits, reads the diff, searches, joins a seminar and logs out (${lang}, ${size})`, async () => {
    const ko = lang.startsWith("ko");
    const context = await browser.newContext({ locale: lang, ...device });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    run += 1;
    const name = ko ? `웹회원${run}` : `member${run}`;

    await page.goto(`${BASE}/`);
    assert.equal(await page.getAttribute("html", "lang"), ko ? "ko" : "en");
    await axe(page, "the front page");
    await shot(page, `home-${size}-${ko ? "ko" : "en"}`);
    await signUp(page, name);
    assert.equal((await page.locator("nav.account .me").textContent()).trim(), name);

    // Write a post on a board.
    const board = await firstBoard(page);
    await page.goto(`${BASE}${board}`);
    await axe(page, "a board");
    await page.click("a.button.primary[href^='/write']");
    await page.waitForURL(/\/write\?board=/);
    await axe(page, "the write form");
    const title = ko ? `마당 시험 글 ${run}` : `Trying Madang ${run}`;
    await page.fill("#title", title);
    await page.fill("#content", ko ? "첫 문단입니다.\n둘째 줄에 https://madang.kr 링크" : "First paragraph.\nA link: https://madang.kr");
    await Promise.all([page.waitForURL(/\/posts\/\d+$/), page.click("form.write button[type=submit]")]);
    const postUrl = page.url();
    assert.equal((await page.locator("article h1").textContent()).trim(), title);
    assert.equal(await page.locator(".content a[rel='nofollow ugc noopener']").count(), 1);

    // Comment in place: the page does not reload.
    await page.evaluate(() => { window.__stay = true; });
    const comment = ko ? "댓글을 제자리에서 답니다" : "A comment posted in place";
    await page.fill("#comment-content", comment);
    await page.click("form.comment-form button[type=submit]");
    await page.locator(".comment-list .comment", { hasText: comment }).waitFor();
    assert.equal(await page.evaluate(() => window.__stay), true, "no reload");
    assert.equal(await page.inputValue("#comment-content"), "");
    assert.equal((await page.locator("#comments-h .n").textContent()).trim(), "1");

    // Vote without a reload.
    const vote = page.locator("form[data-vote] button");
    assert.equal(await vote.getAttribute("aria-pressed"), "false");
    await vote.click();
    await page.waitForFunction(() => document.querySelector("form[data-vote] button").getAttribute("aria-pressed") === "true");
    assert.equal((await vote.locator(".n").textContent()).trim(), "1");
    assert.equal(await page.evaluate(() => window.__stay), true, "no reload");
    await axe(page, "a post");
    await shot(page, `post-${size}-${ko ? "ko" : "en"}`);
    // Bookmark it (스크랩): my page lists it.
    await Promise.all([page.waitForURL(postUrl), page.click("form[action$='/bookmark'] button")]);
    await page.goto(`${BASE}/me`);
    assert.equal(await page.locator("ul.bookmarks a", { hasText: title }).count(), 1, "my page lists the bookmark");
    await axe(page, "my page with a bookmark");
    await shot(page, `me-${size}-${ko ? "ko" : "en"}`);
    await page.goto(postUrl);

    // Edit, then read the history and its diff.
    await page.click(`a[href$='/edit']`);
    await page.fill("#content", ko ? "고친 첫 문단입니다.\n둘째 줄에 https://madang.kr 링크" : "Edited first paragraph.\nA link: https://madang.kr");
    await Promise.all([page.waitForURL(postUrl), page.click("form.write button[type=submit]")]);
    await page.click("a.edited");
    await page.waitForURL(/\/history$/);
    assert.ok((await page.locator(".diff ins").count()) >= 1, "additions are marked");
    await axe(page, "the history");
    await shot(page, `history-${size}-${ko ? "ko" : "en"}`);

    // Search one Hangul syllable of the title.
    const syllable = ko ? "험" : "Tryi";
    await page.fill("#top-q", syllable);
    await Promise.all([page.waitForURL(/\/search\?q=/), page.press("#top-q", "Enter")]);
    await page.locator("ol.posts mark").first().waitFor();
    const marks = await page.locator("ol.posts a.title mark").allTextContents();
    assert.ok(marks.some((m) => m.toLowerCase() === syllable.toLowerCase()), `marks: ${marks}`);
    await axe(page, "search results");
    await shot(page, `search-${size}-${ko ? "ko" : "en"}`);

    // Join the seminar as a participant.
    await page.goto(`${BASE}/seminars`);
    await page.fill("#university", ko ? "서울대학교" : "Seoul National University");
    await Promise.all([page.waitForURL(/added=1/), page.click("form:has(#university) button[type=submit]")]);
    await page.goto(`${BASE}${seminarPath}`);
    await Promise.all([page.waitForURL(`${BASE}${seminarPath}`), page.click("form[action$='/join'] button")]);
    await page.locator("form[action$='/drop']").waitFor();
    await axe(page, "a seminar");

    await page.goto(`${BASE}/seminars`);
    await axe(page, "the seminars");
    await page.goto(`${BASE}/me`);
    await axe(page, "my page");
    await page.goto(`${BASE}/me/resign`);
    await axe(page, "the resignation page");
    await page.click("nav.account .me");
    await page.waitForURL(/\/users\/\d+$/);
    assert.ok((await page.locator("ol.posts a.title", { hasText: title }).count()) === 1, "the profile lists the post");
    await axe(page, "a profile");
    await Promise.all([page.waitForURL(`${BASE}/`), page.click("nav.account button.link")]);
    assert.equal(await page.locator("nav.account a[href='/login']").count(), 1);
    assert.deepEqual(errors, [], "no script errors");
    await context.close();
  });
}

test("the basic flow works with JavaScript off", async () => {
  const context = await browser.newContext({ locale: "ko-KR", javaScriptEnabled: false, ...PHONE });
  const page = await context.newPage();
  run += 1;
  await signUp(page, `스크립트없음${run}`);
  const board = await firstBoard(page);
  await page.goto(`${BASE}${board}`);
  await page.click("a.button.primary[href^='/write']");
  await page.fill("#title", "스크립트 없이 쓴 글");
  await page.fill("#content", "자바스크립트가 꺼져 있어도 됩니다");
  await Promise.all([page.waitForURL(/\/posts\/\d+$/), page.click("form.write button[type=submit]")]);
  const postUrl = page.url();
  await page.fill("#comment-content", "폼으로 보낸 댓글");
  await Promise.all([page.waitForURL(/#comment-\d+$/), page.click("form.comment-form button[type=submit]")]);
  assert.equal(await page.locator(".comment-list .comment", { hasText: "폼으로 보낸 댓글" }).count(), 1);
  await Promise.all([page.waitForURL(postUrl), page.click("form[data-vote] button")]);
  assert.equal(await page.locator("form[data-vote] button").getAttribute("aria-pressed"), "true");
  await page.goto(`${BASE}/search?q=${encodeURIComponent("없")}`);
  assert.ok((await page.locator("ol.posts mark").count()) >= 1);
  await page.goto(`${BASE}/`);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click("nav.account button.link")]);
  assert.equal(await page.locator("nav.account a[href='/login']").count(), 1);
  await context.close();
});

test("error states read well and keep what was typed", async () => {
  for (const [lang, size, device] of [["ko-KR", "phone", PHONE], ["en-US", "desktop", DESKTOP]]) {
    const context = await browser.newContext({ locale: lang, ...device });
    const page = await context.newPage();
    await page.goto(`${BASE}/signup`);
    await page.fill("#name", "x");
    await page.fill("#email", "not-an-email");
    await page.fill("#password1", "short");
    await page.fill("#password2", "other");
    await Promise.all([page.waitForNavigation(), page.click("form.form button[type=submit]")]);
    assert.equal(await page.inputValue("#email"), "not-an-email");
    assert.ok((await page.locator(".field.invalid").count()) >= 3);
    await axe(page, "the sign-up form with errors");
    await shot(page, `signup-errors-${size}-${lang.slice(0, 2)}`);
    const res = await page.goto(`${BASE}/posts/999999999`);
    assert.equal(res.status(), 404);
    await axe(page, "the 404 page");
    await shot(page, `not-found-${size}-${lang.slice(0, 2)}`);
    await page.goto(`${BASE}/login`);
    await axe(page, "the log-in form");
    await context.close();
  }
});
