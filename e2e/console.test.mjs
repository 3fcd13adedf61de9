// End-to-end tests of the staff console in a real browser (Debian's Chromium, driven
// by Playwright). Run by e2e/run, which starts `madang serve` on a fresh database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium, request } from "playwright-core";

const BASE = process.env.MADANG_URL;
const SHOTS = process.env.MADANG_E2E_SCREENSHOTS || "";
assert.ok(BASE, "MADANG_URL must name the server under test");

let browser;

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
});

after(async () => {
  await browser?.close();
});

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/**
 * The category tree as it stands: the selected category, whether it shows, and how many
 * open branches are neither above it nor its own.
 */
async function treeState(page) {
  return page.evaluate(() => {
    const active = document.querySelector("aside.filters ul.tree a[aria-current]");
    const mine = new Set();
    for (let d = active?.closest("details"); d; d = d.parentElement.closest("details")) mine.add(d);
    const own = active?.parentElement.querySelector(":scope > details");
    if (own) mine.add(own);
    const open = [...document.querySelectorAll("aside.filters ul.tree details[open]")];
    return {
      active: active?.textContent.trim(),
      visible: !!active && active.getClientRects().length > 0,
      strayOpen: open.filter((d) => !mine.has(d)).length,
    };
  });
}

async function logIn(name, password, options = {}) {
  const context = await browser.newContext({ locale: "en-US", ...options });
  const page = await context.newPage();
  await page.goto(`${BASE}/admin/`);
  assert.match(page.url(), /\/admin\/login\?next=/);
  await page.fill("#f-username", name);
  await page.fill("#f-password", password);
  await Promise.all([page.waitForURL(`${BASE}/admin/`), page.click("button[type=submit]")]);
  return { context, page };
}

test("a moderator logs in, searches users and soft-deletes three posts of a category through the confirmation page", async () => {
  const { context, page } = await logIn("e2e-mod", "moderator-e2e-pass");
  await shot(page, "dashboard");
  assert.equal(await page.locator("h1").first().textContent(), "Dashboard");
  assert.equal(await page.locator("svg.chart polyline").count(), 4);

  // Search a user.
  await page.click("nav.side >> text=Users");
  await page.fill("input[name=q]", "u1");
  await page.press("input[name=q]", "Enter");
  await page.waitForURL(/\/admin\/users\?q=u1/);
  const names = await page.locator("table.results tbody tr td:nth-child(3)").allTextContents();
  assert.ok(names.length > 0, "the search finds users");
  for (const n of names) assert.match(n.trim(), /u1/);

  // Filter posts by a category from the side bar's tree: the one with the most posts.
  await page.goto(`${BASE}/admin/categories?o=-posts`);
  const top = page.locator("table.results tbody tr td:nth-child(2) a").first();
  const firstCategory = (await top.textContent()).trim();
  const categoryId = (await top.getAttribute("href")).split("/").pop();
  await page.goto(`${BASE}/admin/posts`);
  const tree = page.locator("aside.filters ul.tree");
  assert.equal(await tree.locator("details[open]").count(), 0, "the tree starts closed");
  const target = `a[href$="category=${categoryId}"]`;
  // Open the branches above it, outermost first.
  while (!(await tree.locator(target).isVisible())) {
    await tree.locator("details:not([open])", { has: page.locator(target) }).first().locator("summary").first().click();
  }
  await tree.locator(target).click();
  await page.waitForURL(/category=\d+/);
  const filteredUrl = page.url();
  assert.deepEqual(await treeState(page), { active: firstCategory, visible: true, strayOpen: 0 });
  const categories = await page.locator("table.results tbody tr td:nth-child(4)").allTextContents();
  assert.ok(categories.length >= 3, "the category has at least three posts");
  for (const c of categories) assert.equal(c.trim(), firstCategory);

  // Select three and watch the counter.
  const checks = page.locator("input.row-check");
  const ids = [];
  for (let i = 0; i < 3; i++) {
    await checks.nth(i).check();
    ids.push(await checks.nth(i).getAttribute("value"));
  }
  assert.match(await page.locator("#counter").textContent(), /^3 of \d+ selected$/);
  await shot(page, "posts-filtered");

  // Soft-delete them through the confirmation page.
  await page.selectOption("#bulk-action", "delete_posts");
  await Promise.all([page.waitForURL(/\/admin\/posts\/action$/), page.click("#bulk-go")]);
  const planned = page.locator("ul.planned > li");
  assert.equal(await planned.count(), 3, "the confirmation lists exactly the three posts");
  for (const id of ids) {
    assert.equal(await page.locator("ul.planned > li", { hasText: `#${id} ` }).count(), 1);
  }
  assert.equal(await page.locator("ul.changes li", { hasText: "Deleted: no → yes" }).count(), 3);
  await shot(page, "confirm");
  await Promise.all([page.waitForURL(/done=3/), page.click("button.danger")]);

  // Back on the same filtered list, the three are marked deleted.
  assert.ok(page.url().startsWith(filteredUrl.split("?")[0]));
  assert.match(page.url(), /category=\d+/, "filters are kept after the action");
  assert.match(await page.locator(".notice").textContent(), /3 objects changed/);
  for (const id of ids) {
    const row = page.locator(`tr[data-id="${id}"]`);
    assert.equal(await row.getAttribute("class"), "muted-row");
    assert.equal((await row.locator("td").nth(5).textContent()).trim(), "Deleted");
  }

  // The audit log has an entry per post, by this moderator.
  await page.goto(`${BASE}/admin/audit?action=delete`);
  const rows = page.locator("table.results tbody tr");
  assert.equal(await rows.count(), 3);
  for (let i = 0; i < 3; i++) {
    assert.equal((await rows.nth(i).locator("td").nth(1).textContent()).trim(), "e2e-mod");
  }
  const objects = (await page.locator("table.results tbody tr td:nth-child(4)").allTextContents()).join(" ");
  for (const id of ids) assert.ok(objects.includes(`#${id} `), `audit names post ${id}`);
  await shot(page, "audit");

  // The post's own history page shows it too.
  await page.goto(`${BASE}/admin/posts/${ids[0]}/history`);
  assert.match(await page.locator("table.grid tbody").textContent(), /e2e-mod/);
  await context.close();
});

test("a failed form validation shows the message beside the field, and admin-only actions are refused", async () => {
  const { context, page } = await logIn("e2e-mod", "moderator-e2e-pass");
  await page.goto(`${BASE}/admin/users?role=user`);
  const target = await page.locator("input.row-check").first().getAttribute("value");
  await page.locator("input.row-check").first().check();
  await page.selectOption("#bulk-action", "suspend");
  await page.click("#bulk-go");
  await page.fill("#f-until", "2001-01-01");
  await page.click("button.primary");
  assert.match(await page.locator("#e-until").textContent(), /until must be today or later/);
  assert.match(await page.locator("#e-reason").textContent(), /reason is required/);
  // The message sits in the field's own box.
  assert.equal(await page.locator(".field.invalid #f-reason").count(), 1);
  await shot(page, "validation");

  // Moderators are not offered role changes, and a forged request is refused.
  await page.goto(`${BASE}/admin/users`);
  assert.equal(await page.locator('#bulk-action option[value="set_role"]').count(), 0);
  await page.goto(`${BASE}/admin/users/${target}`);
  assert.equal(await page.locator("#f-role").count(), 0, "no role form for a moderator");
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute("value");
  const res = await page.request.post(`${BASE}/admin/users/action`, {
    form: { csrf, action: "set_role", ids: target, stage: "apply", role: "admin" },
    maxRedirects: 0,
  });
  assert.equal(res.status(), 403);
  assert.match(await res.text(), /may not do this/);
  // And without the CSRF token even an allowed action is refused.
  const noToken = await page.request.post(`${BASE}/admin/users/action`, {
    form: { action: "reinstate", ids: target, stage: "apply" },
    maxRedirects: 0,
  });
  assert.equal(noToken.status(), 403);
  await context.close();
});

test("an admin changes a role through the confirmation page; the console speaks Korean and fits a phone", async () => {
  const { context, page } = await logIn("e2e-admin", "admin-e2e-pass");
  await page.goto(`${BASE}/admin/users?role=user&o=id`);
  const id = await page.locator("input.row-check").first().getAttribute("value");
  await page.goto(`${BASE}/admin/users/${id}`);
  await page.selectOption("#f-role", "moderator");
  await page.locator("form", { has: page.locator("#f-role") }).locator("button").click();
  assert.equal(await page.locator("ul.changes li", { hasText: "Role: user → moderator" }).count(), 1);
  await Promise.all([page.waitForURL(new RegExp(`/admin/users/${id}\\?done=1`)), page.click("button.danger")]);
  assert.match(await page.locator("dl.fields").textContent(), /Moderator/);
  await shot(page, "user-detail");

  // The language toggle switches to Korean and stays.
  await page.click('a[lang="ko"]');
  await page.waitForURL(new RegExp(`/admin/users/${id}`));
  assert.equal(await page.locator("html").getAttribute("lang"), "ko");
  await page.goto(`${BASE}/admin/`);
  assert.equal((await page.locator("h1").first().textContent()).trim(), "대시보드");
  await shot(page, "dashboard-ko");

  // A phone-sized window: no horizontal scrolling of the page itself.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}/admin/posts`);
  await shot(page, "posts-phone");
  // Rows are cards: the title takes a line of its own, every other cell says its column.
  const cards = await page.evaluate(() => {
    const heads = [...document.querySelectorAll("table.results thead th")].map((th) => th.textContent.replace(/[▲▼]/g, "").trim());
    const out = { rows: 0, narrowTitles: [], badLabels: [] };
    for (const tr of document.querySelectorAll("table.results tbody tr")) {
      out.rows++;
      const lead = tr.querySelector("td.lead");
      if (!lead || lead.getBoundingClientRect().width < window.innerWidth * 0.7) out.narrowTitles.push(tr.dataset.id);
      [...tr.children].forEach((td, i) => {
        if (!td.matches(".check, .lead") && td.dataset.label !== heads[i]) out.badLabels.push(`${td.dataset.label} under ${heads[i]}`);
      });
    }
    return out;
  });
  assert.ok(cards.rows > 0);
  assert.deepEqual(cards.narrowTitles, [], "titles too narrow to read as lines");
  assert.deepEqual(cards.badLabels.slice(0, 5), [], "cells named after another column");
  const overflow = await page.evaluate(() => {
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll"))
      .map((e) => e.tagName + "." + e.className);
    return { by: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 5) };
  });
  assert.ok(overflow.by <= 1, `page overflows a phone by ${overflow.by}px: ${overflow.wide}`);
  await context.close();
});

// A seminar with an instructor and two participants, made through the public API.
async function seminarWithTwoParticipants() {
  const api = await request.newContext({ baseURL: `${BASE}/api/v1/` });
  const member = async (name, role, profile) => {
    const password = "e2e-member-pass";
    const up = await api.post("users", {
      data: { name, email: `${name}@madang.kr`, password1: password, password2: password },
    });
    assert.equal(up.status(), 201, await up.text());
    const tok = await api.post("auth/token", { data: { username: name, password } });
    const headers = { Authorization: `Bearer ${(await tok.json()).access_token}` };
    const r = await api.post("users/me/roles", { headers, data: { role, ...profile } });
    assert.equal(r.status(), 201, await r.text());
    return headers;
  };
  const teacher = await member("e2e-teacher", "instructor", { company: "Madang", year: 3 });
  const created = await api.post("seminars", {
    headers: teacher,
    data: { name: "브라우저 세미나", capacity: 2, count: 4, time: "19:30" },
  });
  assert.equal(created.status(), 201, await created.text());
  const id = (await created.json()).id;
  for (const name of ["e2e-pupil1", "e2e-pupil2"]) {
    const headers = await member(name, "participant", { university: "마당대학교" });
    const joined = await api.post(`seminars/${id}/participants`, { headers });
    assert.equal(joined.status(), 201, await joined.text());
  }
  await api.dispose();
  return id;
}

test("an admin changes a seminar's settings: a capacity below its participants is refused beside the field, the change is audited", async () => {
  const id = await seminarWithTwoParticipants();

  // A moderator sees the seminar but has no settings form.
  const mod = await logIn("e2e-mod", "moderator-e2e-pass");
  await mod.page.goto(`${BASE}/admin/seminars/${id}`);
  assert.match(await mod.page.locator("h1").textContent(), /브라우저 세미나/);
  assert.equal(await mod.page.locator("#f-capacity").count(), 0);
  await mod.context.close();

  const { context, page } = await logIn("e2e-admin", "admin-e2e-pass");
  await page.goto(`${BASE}/admin/seminars`);
  await page.click("aside.filters >> text=Under 30");
  await page.waitForURL(/capacity=under_30/);
  await Promise.all([page.waitForURL(new RegExp(`/admin/seminars/${id}$`)), page.click("table.results >> text=브라우저 세미나")]);
  assert.match(await page.locator("section.card", { hasText: "Instructors and participants" }).textContent(), /e2e-pupil2/);

  await page.fill("#f-capacity", "1");
  await page.locator("form", { has: page.locator("#f-capacity") }).locator("button").click();
  assert.match(await page.locator("#e-capacity").textContent(), /capacity cannot go below the 2 active participants/);
  assert.equal(await page.locator(".field.invalid #f-capacity").count(), 1);
  assert.equal(await page.inputValue("#f-capacity"), "1", "the form keeps what was sent");
  await shot(page, "seminar-validation");

  await page.fill("#f-capacity", "30");
  await page.selectOption("#f-online", "no");
  await Promise.all([
    page.waitForURL(new RegExp(`/admin/seminars/${id}$`)),
    page.locator("form", { has: page.locator("#f-capacity") }).locator("button").click(),
  ]);
  const fields = await page.locator("dl.fields").textContent();
  assert.match(fields, /Capacity\s*\(read-only\)\s*30/);
  await page.goto(`${BASE}/admin/seminars?capacity=30_or_more&online=no`);
  assert.equal(await page.locator("table.results >> text=브라우저 세미나").count(), 1);
  await page.goto(`${BASE}/admin/seminars/${id}/history`);
  const history = await page.locator("table.grid tbody").textContent();
  assert.match(history, /e2e-admin/);
  assert.match(history, /2 → 30/);
  await context.close();
});

test("the category tree opens from the keyboard and works with JavaScript off", async () => {
  const { context, page } = await logIn("e2e-mod", "moderator-e2e-pass", { javaScriptEnabled: false });
  await page.goto(`${BASE}/admin/posts`);
  const tree = page.locator("aside.filters ul.tree");
  const branch = tree.locator(":scope > li.branch").first();
  const child = branch.locator("details > ul > li > a").first();
  assert.equal(await child.isVisible(), false, "a closed branch hides its children");
  // Tab from the branch's link to its toggle, and open it with Enter.
  await branch.locator("a").first().focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY");
  assert.match(await page.evaluate(() => document.activeElement.textContent), /^.+의 하위 카테고리$|^Categories under .+$/);
  await page.keyboard.press("Enter");
  assert.ok(await child.isVisible(), "Enter on the toggle opens the branch");
  // Following a child's link filters by it, and the tree opens at it.
  const name = (await child.textContent()).trim();
  await Promise.all([page.waitForURL(/category=\d+/), child.click()]);
  assert.deepEqual(await treeState(page), { active: name, visible: true, strayOpen: 0 });
  for (const c of await page.locator("table.results tbody tr td:nth-child(4)").allTextContents()) {
    assert.equal(c.trim(), name);
  }
  await context.close();
});

/**
 * Every row of every table with a header row on the page: as many cells as headers,
 * and each cell's box spans its header's column (left and right within 2px). A cell
 * whose box leaves the table layout (the old `display: inline-block` on a tag cell)
 * is merged with its neighbours into one column and fails here.
 */
async function misalignedCells(page) {
  return page.evaluate(() => {
    const problems = [];
    document.querySelectorAll("table").forEach((table, t) => {
      const heads = [...table.querySelectorAll(":scope > thead > tr > th")].map((th) => th.getBoundingClientRect());
      if (heads.length === 0) return;
      [...table.querySelectorAll(":scope > tbody > tr")].forEach((tr, r) => {
        const cells = [...tr.children];
        if (cells.length !== heads.length) {
          problems.push(`table ${t} row ${r}: ${cells.length} cells under ${heads.length} headers`);
          return;
        }
        cells.forEach((cell, i) => {
          const box = cell.getBoundingClientRect();
          const dl = Math.abs(box.left - heads[i].left);
          const dr = Math.abs(box.right - heads[i].right);
          if (dl > 2 || dr > 2) {
            const text = cell.textContent.trim().slice(0, 20);
            problems.push(`table ${t} row ${r} cell ${i} "${text}": off its header by ${dl.toFixed(1)}px left, ${dr.toFixed(1)}px right`);
          }
        });
      });
    });
    return problems;
  });
}

// A post reported by five members (which holds it from the lists), made through the
// public API; answers the post's id.
async function heldPost() {
  const api = await request.newContext({ baseURL: `${BASE}/api/v1/` });
  const member = async (name) => {
    const password = "e2e-member-pass";
    const up = await api.post("users", {
      data: { name, email: `${name}@madang.kr`, password1: password, password2: password },
    });
    assert.equal(up.status(), 201, await up.text());
    const tok = await api.post("auth/token", { data: { username: name, password } });
    return { Authorization: `Bearer ${(await tok.json()).access_token}` };
  };
  const board = (await (await api.get("categories")).json())[0].id;
  const author = await member("e2e-spammer");
  const created = await api.post("posts", {
    headers: author,
    data: { category_id: board, title: "무료 쿠폰 받아가세요", content: "링크를 누르세요" },
  });
  assert.equal(created.status(), 201, await created.text());
  const id = (await created.json()).id;
  for (let i = 0; i < 5; i++) {
    const headers = await member(`e2e-reporter${i}`);
    const r = await api.post(`posts/${id}/reports`, { headers, data: { reason: "spam", detail: i === 0 ? "광고 도배" : "" } });
    assert.equal(r.status(), 201, await r.text());
  }
  const gone = await api.get(`posts/${id}`);
  assert.equal(gone.status(), 404, "held from readers");
  await api.dispose();
  return id;
}

test("a moderator takes a held post from the reports queue, removes it and suspends its author through the confirmation page", async () => {
  const post = await heldPost();
  const { context, page } = await logIn("e2e-mod", "moderator-e2e-pass", { viewport: { width: 1280, height: 900 } });
  await page.click("nav.side >> text=Reports");
  await page.waitForURL(/\/admin\/reports$/);
  const row = page.locator("table.results tbody tr").first();
  assert.match(await row.textContent(), /무료 쿠폰 받아가세요/, "most reporters first");
  assert.match(await row.textContent(), /Spam 5/);
  await shot(page, "reports-queue");
  await Promise.all([page.waitForURL(/\/admin\/reports\/\d+$/), row.locator("td:nth-child(3) a").click()]);
  assert.match(await page.locator("section.card", { hasText: "Reports" }).last().textContent(), /광고 도배/);
  await shot(page, "report-case");

  await Promise.all([
    page.waitForURL(/\/admin\/reports\/action$/),
    page.locator("form", { hasText: "Remove and suspend the author" }).locator("button").click(),
  ]);
  // The fields first: a missing reason is shown beside its field.
  await page.fill("#f-until", "2099-12-31");
  await page.locator("form", { has: page.locator("#f-until") }).locator("button").click();
  assert.match(await page.locator("#e-reason").textContent(), /reason is required/);
  await page.fill("#f-reason", "광고 도배");
  await page.locator("form", { has: page.locator("#f-until") }).locator("button").click();
  const changes = await page.locator("ul.changes").textContent();
  assert.match(changes, /open → suspended/);
  assert.match(changes, /active → suspended/);
  await Promise.all([page.waitForURL(/done=1/), page.click("button.danger")]);
  assert.match(await page.locator("dl.fields").textContent(), /Suspended/, "the report's own page says what was decided");
  await shot(page, "report-decided");
  await page.goto(`${BASE}/admin/reports?report_status=resolved`);
  assert.match(await page.locator("table.results tbody").textContent(), /Suspended/);

  // The public moderation log says what was done, and by a moderator, not by whom.
  const log = await (await page.request.get(`${BASE}/api/v1/modlog`)).json();
  assert.deepEqual(log.data.slice(0, 2).map((e) => e.action), ["suspend", "remove"]);
  assert.equal(log.data[1].target.id, post);
  assert.equal(log.data[1].reason, "광고 도배");
  assert.equal(log.data[1].moderator_role, "moderator");
  assert.ok(!JSON.stringify(log).includes("e2e-mod"));
  await context.close();
});

test("on every list at desktop width, each row has a cell per header, each cell sits under its header, and nothing is cut off", async () => {
  const { context, page } = await logIn("e2e-admin", "admin-e2e-pass", { viewport: { width: 1280, height: 900 } });
  const lists = await page.locator("nav.side a").evaluateAll((as) =>
    as.map((a) => a.getAttribute("href")).filter((h) => h !== "/admin/"),
  );
  assert.ok(lists.length >= 9, `the side bar names every list: ${lists}`);
  // Lists with tag columns (status and sentiment, role and state, action) must have rows to check.
  const mustHaveRows = ["/admin/posts", "/admin/comments", "/admin/users", "/admin/audit", "/admin/enrolments", "/admin/reports"];
  const off = {};
  for (const href of [...lists, "/admin/posts?sentiment=positive", "/admin/"]) {
    await page.goto(`${BASE}${href}`);
    const rows = await page.locator("table.results tbody tr").count();
    if (mustHaveRows.includes(href)) assert.ok(rows > 0, `${href} has rows to check`);
    const problems = await misalignedCells(page);
    // At desktop width a list fits its box: no column is cut off behind a scroll bar.
    const hidden = await page.evaluate(() => {
      const box = document.querySelector("table.results")?.closest(".scroll");
      return box ? box.scrollWidth - box.clientWidth : 0;
    });
    if (hidden > 1) problems.push(`the list is ${hidden}px wider than its box`);
    if (problems.length) off[href] = [`${problems.length} problems`, ...problems.slice(0, 3)];
  }
  // And a change page's inline tables.
  await page.goto(`${BASE}/admin/posts`);
  await page.locator("table.results tbody tr td:nth-child(3) a").first().click();
  await page.waitForURL(/\/admin\/posts\/\d+$/);
  const problems = await misalignedCells(page);
  if (problems.length) off["a post's page"] = [`${problems.length} problems`, ...problems.slice(0, 3)];
  assert.deepEqual(off, {}, "cells off their columns");
  await context.close();
});
