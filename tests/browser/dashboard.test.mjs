// The dashboard in Debian's chromium (headless), against the real hub that browser_stack started.
// Each step is a test named after what it proves; the script exits non-zero when one fails.
// Screenshots of every view go to $VITALS_BROWSER_OUT (docs/images/ when refreshing them).
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";

const HUB = process.env.VITALS_HUB_URL;
const CONTROL = process.env.VITALS_CONTROL_URL;
const KEYS = { admin: process.env.VITALS_KEY_ADMIN, operator: process.env.VITALS_KEY_OPERATOR,
               readonly: process.env.VITALS_KEY_READONLY };
const OUT = process.env.VITALS_BROWSER_OUT;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const SERVICES = ["web", "db", "cache", "queue", "auth", "search", "mail", "billing"];

const sleep = ms => new Promise(r => setTimeout(r, ms));
async function control(p) {
  const r = await fetch(CONTROL + p, { method: "POST" });
  assert.equal(r.status, 200, "control " + p);
}
async function hub(p, key, init = {}) {
  const r = await fetch(HUB + p, { ...init, headers: { Authorization: "Bearer " + key,
                                                       "Content-Type": "application/json" } });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}
async function until(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn().catch(() => false);
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(100);
  }
}

const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${err.stack || err}`);
  }
}

const userDataDir = mkdtempSync(path.join(tmpdir(), "vitals-chromium-"));
// A fresh profile per run; one tab per role (the key lives in each tab's sessionStorage).
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  viewport: { width: 1280, height: 860 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function signedIn(role, hash = "#/") {
  const page = await browser.newPage();
  page.on("pageerror", e => console.log(`[${role}] page error: ${e.message}`));
  await page.goto(HUB + "/" + hash);
  await page.fill("#key", KEYS[role]);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#live:text('live')", { timeout: 10000 });
  return page;
}
async function shot(page, name) {
  if (OUT) await page.screenshot({ path: path.join(OUT, name + ".png"), fullPage: false });
}
async function axeScan(page, view) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const bad = found.filter(v => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe on ${view}: ${JSON.stringify(bad)}`);
  return found.length;
}
const cardClass = (page, name) =>
  page.$eval(`.card[data-name="${name}"]`, el => el.className).catch(() => "");

// ---- seed ----
for (const s of SERVICES) await control(`/result?service=${s}&status=healthy`);
await control("/result?service=legacy&status=degraded");
await until("the seeded services in the API", async () => {
  const r = await hub("/api/v1/services", KEYS.readonly);
  return r.body.services?.length >= SERVICES.length + 1;
});

const op = await signedIn("operator");

await test("the grid shows the seeded services with their status text and color", async () => {
  await op.waitForSelector('.card[data-name="web"]');
  const web = await op.$eval('.card[data-name="web"]', el => ({
    text: el.textContent, border: getComputedStyle(el).borderLeftColor }));
  assert.match(web.text, /healthy/);
  assert.equal(web.border, "rgb(23, 128, 61)");
  const legacy = await op.$eval('.card[data-name="legacy"]', el => el.textContent);
  assert.match(legacy, /degraded/);
  await shot(op, "grid");
});

await test("a service going down turns its card red within 2 s without a reload, and back on recovery",
  async () => {
    await op.evaluate(() => { window.__sameDocument = true; });
    const t0 = Date.now();
    await control("/result?service=web&status=down");
    await op.waitForSelector('.card.down[data-name="web"]', { timeout: 2000 });
    console.log(`     down shown after ${Date.now() - t0} ms`);
    const border = await op.$eval('.card[data-name="web"]', el => getComputedStyle(el).borderLeftColor);
    assert.equal(border, "rgb(200, 30, 30)");
    assert.match(await op.$eval('.card[data-name="web"]', el => el.textContent), /down/);
    await control("/result?service=web&status=healthy");
    await op.waitForSelector('.card.healthy[data-name="web"]', { timeout: 2000 });
    assert.equal(await op.evaluate(() => window.__sameDocument), true);
  });

await test("restart asks for confirmation, goes through the hub's repair path and is audited", async () => {
  await op.goto(HUB + "/#/service/web");
  await op.click("button[data-act=restart]");
  await op.waitForSelector("#confirm[open]");
  await shot(op, "service-restart-confirm");
  await op.click("#confirm-ok");
  await op.waitForFunction(() => {
    const t = document.querySelector("#act-out")?.textContent || "";
    return t && t !== "restart…";
  }, null, { timeout: 15000 });
  const audit = await until("the restart's audit row", async () => {
    const r = await hub("/api/v1/audit?limit=50", KEYS.admin);
    return (r.body.entries || r.body.audit || []).find(e =>
      e.action === "POST /api/v1/services/{name}/actions/restart" && e.target === "/api/v1/services/web/actions/restart");
  });
  assert.match(audit.actor, /^key:/);
  await shot(op, "service");
});

await test("the timeline shows the outage window the test created", async () => {
  await op.goto(HUB + "/#/timeline/web");
  // Locators re-resolve on every attempt: a view that re-renders from the live stream between
  // finding a button and clicking it must not fail the test (an element handle would be stale).
  await op.locator(".timeline button.seg-down").first().click();
  await op.waitForSelector("#window :text('down from')");
  await shot(op, "timeline");
});

await test("an approval can be approved from the page", async () => {
  const r = await fetch(CONTROL + "/pending?service=db", { method: "POST" });
  assert.equal(r.status, 200);
  const { id } = await r.json();
  await op.goto(HUB + "/#/repairs");
  await op.click(`button[data-approve="${id}"]`);
  await op.fill("#confirm-fields input[name=reason]", "approved in the browser test");
  await shot(op, "repairs-approve");
  await op.click("#confirm-ok");
  await until("the repair to leave pending", async () => {
    const r = await hub(`/api/v1/repairs/${id}`, KEYS.readonly);
    return r.status === 200 && r.body.status !== "pending";
  });
  await op.goto(HUB + "/#/repairs");
  await op.waitForSelector("#view h3:text('History')");
  await shot(op, "repairs");
});

await test("incidents and silences: a silence can be created and expired", async () => {
  await op.goto(HUB + "/#/incidents");
  await op.fill("#silence input[name=service]", "cache");
  await op.fill("#silence input[name=comment]", "browser test maintenance");
  await op.check("#silence input[name=maintenance]");
  await op.click("#silence button[type=submit]");
  await op.waitForSelector("button[data-expire]");
  await shot(op, "incidents");
  await op.locator("button[data-expire]").first().click();
  await op.click("#confirm-ok");
  await until("the silence to end", async () => (await op.$$("button[data-expire]")).length === 0);
});

const admin = await signedIn("admin", "#/preflight");
await test("the pre-flight override flow makes the hub ready and is audited", async () => {
  await admin.waitForSelector("#ready:text('not ready')");
  await admin.waitForSelector('button[data-override="workers"]');
  await shot(admin, "preflight");
  await admin.click('button[data-override="workers"]');
  await admin.fill("#confirm-fields input[name=reason]", "browser test: agents are elsewhere");
  await admin.click("#confirm-ok");
  await until("ready", async () => (await hub("/api/v1/preflight", KEYS.readonly)).body.ready === true, 20000);
  await admin.goto(HUB + "/#/agents");
  await admin.goto(HUB + "/#/preflight");
  await admin.waitForSelector("#ready:text('ready')");
  const audit = await hub("/api/v1/audit?limit=50", KEYS.admin);
  assert.ok((audit.body.entries || audit.body.audit || []).some(e => e.action === "POST /api/v1/preflight/overrides"),
            "no audit row for the override");
});

const ro = await signedIn("readonly", "#/service/db");
await test("readonly sees no action buttons and a direct API call from the page is refused", async () => {
  await ro.waitForSelector("h3:text('Checks')");
  assert.equal((await ro.$$("button[data-act]")).length, 0);
  for (const hash of ["#/incidents", "#/repairs", "#/preflight"]) {
    await ro.goto(HUB + "/" + hash);
    await ro.waitForSelector("#view h2");
    await sleep(300);
    const buttons = await ro.$$eval("#view button", bs => bs.map(b => b.textContent));
    assert.deepEqual(buttons, [], hash);
  }
  const status = await ro.evaluate(async () => {
    const r = await fetch("/api/v1/services/db/actions/restart", { method: "POST",
      headers: { Authorization: "Bearer " + sessionStorage.getItem("vitals.key"), "Content-Type": "application/json" },
      body: JSON.stringify({ confirm: true }) });
    return r.status;
  });
  assert.equal(status, 403);
});

await test("no view has a serious or critical axe-core violation", async () => {
  for (const [hash, name] of [["#/", "grid"], ["#/service/web", "service"], ["#/timeline/web", "timeline"],
                              ["#/incidents", "incidents"], ["#/repairs", "repairs"], ["#/preflight", "preflight"],
                              ["#/agents", "agents"], ["#/federation", "federation"]]) {
    await admin.goto(HUB + "/" + hash);
    await admin.waitForSelector("#view h2");
    await sleep(300);
    const minor = await axeScan(admin, name);
    if (name === "agents" || name === "federation") await shot(admin, name);
    console.log(`     axe ${name}: no serious/critical (${minor} minor/moderate)`);
  }
});

await test("first useful paint with 1,000 services (printed)", async () => {
  await control("/seed?count=1000&prefix=load-");
  await until("1,000 more services", async () =>
    (await hub("/api/v1/services", KEYS.readonly)).body.services?.length >= 1000 + SERVICES.length, 30000);
  const page = admin;  // sessionStorage (the key) belongs to this tab
  await page.goto("about:blank");
  await page.goto(HUB + "/#/");
  await page.waitForSelector(".card");
  const t = await page.evaluate(() => performance.now());
  console.log(`     first paint with ${1000 + SERVICES.length + 1} services: ${Math.round(t)} ms after navigation start`);
  await shot(page, "grid-1000");
});

await browser.close();
rmSync(userDataDir, { recursive: true, force: true });
const failed = results.filter(([, ok]) => !ok);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
