"""The `audit` subcommand of browser.py: axe-core and the measurements axe does not make.

One browser session walks a plan (a JSON file) of pages, in each language of the plan: it
sets the language as the Accept-Language header (Network.setExtraHTTPHeaders, so one session
serves every language), clears the cookies, opens the page's path, and, when the page is a
form submission, fills in the credential form and presses a button (with JavaScript
switched off first for `noscript` pages: the auto-POST page then stays, as it does in a
browser without JavaScript). Then, at each viewport of the plan (Emulation.
setDeviceMetricsOverride: the page is laid out again, not reloaded), it runs axe-core
(injected from tests/browser/node_modules/axe-core/axe.min.js) with the WCAG 2.0/2.1/2.2
A and AA and best-practice rules, and measures:

  - text contrast: every rendered element with text of its own, its colour over the
    background it is drawn on (ancestors' backgrounds composed), at least 4.5:1;
  - non-text contrast: the borders of fields and buttons over what surrounds them, at
    least 3:1, and the focus ring of every control Tab reaches (reached with real Tab key
    presses: it must show an outline of at least 2 px, 3:1 over the surroundings);
  - targets: on viewports narrower than `mobile_below`, every link, button, field, select
    and summary at least 44x44 CSS px;
  - no horizontal scrolling.

Plan: {"base": URL, "languages": [tags], "viewports": [[w, h], ...], "mobile_below": 500,
       "pages": [{"name", "path", "expect": CSS selector the page must have,
                  "submit": null | {"fields": {name: value}, "button": element id,
                                    "hidden": {name: value}},
                  "noscript": false, "focused": id of the element focused on load}],
       "screenshots": null | {"dir", "path", "width", "height", "languages": [tags],
                             "min_select_width": px}}
Result: {"ok": no problem, "problems": [str], "checked": [{"page", "lang", "viewport",
         "violations", "texts", "controls", "focus_stops", "targets"}], "screenshots": [file],
         "axe_version", "seconds"}.
"""

import json
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
TEXT_MIN = 4.5
NON_TEXT_MIN = 3.0
TARGET_MIN = 44
WAIT_S = 15

COLOUR_JS = r"""
window.__m = (() => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  // The colour an element is drawn on: its own and its ancestors' backgrounds, composed.
  const background = (el) => {
    const stack = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { stack.push(c); if (c.a >= 1) break; }
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (let i = stack.length - 1; i >= 0; i--) bg = blend(stack[i], bg);
    return bg;
  };
  const shown = (e) => {
    if (e.checkVisibility && !e.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
  const r2 = (x) => Math.round(x * 100) / 100;
  return {parse, blend, ratio, background, shown, name, r2};
})();
"""

MEASURE_JS = r"""
const M = window.__m, small = arguments[0];
const texts = [], controls = [], targets = [];
for (const e of document.body.querySelectorAll('*')) {
  if (!M.shown(e)) continue;
  const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  if (own) {
    const bg = M.background(e), fg = M.parse(getComputedStyle(e).color);
    if (fg) texts.push({el: M.name(e), ratio: M.r2(M.ratio(M.blend(fg, bg), bg))});
  }
}
const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
for (const e of document.querySelectorAll(interactive)) {
  if (!M.shown(e)) continue;
  const s = getComputedStyle(e), around = M.background(e.parentElement);
  if (parseFloat(s.borderTopWidth) > 0 && s.borderTopStyle !== 'none' && !e.matches('a:not(.button), summary')) {
    const b = M.parse(s.borderTopColor);
    controls.push({el: M.name(e), ratio: M.r2(M.ratio(M.blend(b, around), around))});
  }
  if (small) {
    const r = e.getBoundingClientRect();
    targets.push({el: M.name(e), width: M.r2(r.width), height: M.r2(r.height)});
  }
}
return {texts, controls, targets,
        scroll_width: document.documentElement.scrollWidth,
        viewport_width: document.documentElement.clientWidth};
"""

FOCUS_JS = r"""
const M = window.__m, e = document.activeElement;
if (!e || e === document.body) return null;
const s = getComputedStyle(e), around = M.background(e.parentElement), o = M.parse(s.outlineColor);
return {el: M.name(e), style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0,
        ratio: o ? M.r2(M.ratio(M.blend(o, around), around)) : 0,
        visible: e.matches(':focus-visible')};
"""


def cdp(driver, cmd, params=None):
    return driver.execute_cdp_cmd(cmd, params or {})


def wait_new_page(driver, old_html):
    def done(d):
        try:
            old_html.is_enabled()
            return False
        except StaleElementReferenceException:
            pass
        except WebDriverException as e:
            # Mid-navigation, chromedriver may report the old node in this wording instead.
            if "does not belong to the document" not in str(e):
                raise
        try:
            return d.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False  # the new document is not there yet

    WebDriverWait(driver, WAIT_S).until(done)


def open_page(driver, load, plan, page, lang):
    cdp(driver, "Emulation.setScriptExecutionDisabled", {"value": False})
    cdp(driver, "Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": lang}})
    driver.delete_all_cookies()
    load(driver, plan["base"] + page["path"])
    sub = page.get("submit")
    if sub:
        for name, value in sub.get("hidden", {}).items():
            driver.execute_script(
                "document.querySelector('input[name=\"' + arguments[0] + '\"]').value = arguments[1];",
                name, value)
        for name, value in sub.get("fields", {}).items():
            value = value.replace("{lang}", lang)
            f = driver.find_element(By.CSS_SELECTOR, f"[name='{name}']")
            if f.tag_name == "select":
                driver.execute_script("arguments[0].value = arguments[1];", f, value)
            else:
                f.clear()
                f.send_keys(value)
        if page.get("noscript"):
            cdp(driver, "Emulation.setScriptExecutionDisabled", {"value": True})
        html = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.ID, sub["button"]).click()
        wait_new_page(driver, html)
    if not driver.find_elements(By.CSS_SELECTOR, page["expect"]):
        raise RuntimeError(f"{page['name']} ({lang}): no {page['expect']} on {driver.current_url}: "
                           + driver.execute_script("return document.body.innerText.slice(0, 300)"))


def set_viewport(driver, w, h):
    cdp(driver, "Emulation.setDeviceMetricsOverride",
        {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 500})


def run_axe(driver, source):
    driver.execute_script(source)
    res = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then((r) => done({version: axe.version, violations: r.violations.map((v) => ({"
        "  id: v.id, impact: v.impact, help: v.help,"
        "  nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n').slice(1).join(' ').trim())"
        "}))}), (e) => done({error: String(e)}));",
        AXE_TAGS)
    if "error" in res:
        raise RuntimeError(f"axe failed: {res['error']}")
    return res


def focus_stops(driver):
    """Tab from the top of the page through every control once; each one's focus ring."""
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    stops, seen = [], set()
    for _ in range(30):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        f = driver.execute_script(FOCUS_JS)
        if f is None or f["el"] in seen:
            break
        seen.add(f["el"])
        stops.append(f)
    return stops


def check(driver, plan, page, lang, vp, axe_source, problems, at_load=None):
    w, h = vp
    small = w < plan.get("mobile_below", 500)
    set_viewport(driver, w, h)
    driver.execute_script("return document.fonts ? document.fonts.ready.then(() => true) : true")
    where = f"{page['name']} {lang} {w}x{h}"
    axe = run_axe(driver, axe_source)
    for v in axe["violations"]:
        problems.append(f"{where}: axe {v['id']} ({v['impact']}): {v['help']}: {'; '.join(v['nodes'])}")
    driver.execute_script(COLOUR_JS)
    m = driver.execute_script(MEASURE_JS, small)
    for t in m["texts"]:
        if t["ratio"] < TEXT_MIN:
            problems.append(f"{where}: text {t['el']} contrast {t['ratio']}:1 < {TEXT_MIN}:1")
    for c in m["controls"]:
        if c["ratio"] < NON_TEXT_MIN:
            problems.append(f"{where}: border of {c['el']} contrast {c['ratio']}:1 < {NON_TEXT_MIN}:1")
    for t in m["targets"]:
        if t["width"] < TARGET_MIN or t["height"] < TARGET_MIN:
            problems.append(f"{where}: target {t['el']} is {t['width']}x{t['height']} px < {TARGET_MIN}x{TARGET_MIN}")
    if m["scroll_width"] > m["viewport_width"]:
        problems.append(f"{where}: scrolls sideways ({m['scroll_width']} px in {m['viewport_width']})")
    stops = at_load if at_load is not None else focus_stops(driver)
    for f in stops:
        if f["style"] == "none" or f["width"] < 2 or f["ratio"] < NON_TEXT_MIN:
            problems.append(f"{where}: focus ring of {f['el']}: {f['style']} {f['width']} px, {f['ratio']}:1")
    return {"page": page["name"], "lang": lang, "viewport": [w, h], "axe_version": axe["version"],
            "violations": len(axe["violations"]), "texts": len(m["texts"]),
            "controls": len(m["controls"]), "targets": len(m["targets"]),
            "focus_stops": len(stops)}


def focused_at_load(driver, page, lang, problems):
    """For a page that must work without JavaScript: its control is focused from the start
    and the focus shows; that focus ring is the page's one focus stop (Tab does not reach
    the content of <noscript> once scripts run again for the measuring). None for others."""
    if not page.get("focused"):
        return None
    active = driver.execute_script("return document.activeElement && document.activeElement.id")
    if active != page["focused"]:
        problems.append(f"{page['name']} {lang}: #{page['focused']} is not focused on load (#{active} is)")
        return []
    driver.execute_script(COLOUR_JS)
    f = driver.execute_script(FOCUS_JS)
    return [f] if f else []


def screenshots(driver, load, plan, problems):
    s = plan["screenshots"]
    out = Path(s["dir"])
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for lang in s["languages"]:
        open_page(driver, load, plan, {"name": "screenshot", "path": s["path"], "expect": "h1"}, lang)
        set_viewport(driver, s["width"], s["height"])
        driver.execute_script("return document.fonts ? document.fonts.ready.then(() => true) : true")
        sel = driver.execute_script(
            "const e = document.querySelector('#pick_lang'); return e ? e.getBoundingClientRect().width : null;")
        if sel is not None and sel < s.get("min_select_width", 0):
            problems.append(f"screenshot {lang}: the language list is {sel:.0f} px wide at {s['width']} px")
        sw = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if sw[0] > sw[1]:
            problems.append(f"screenshot {lang}: scrolls sideways at {s['width']} px ({sw[0]} in {sw[1]})")
        f = out / f"{lang}.png"
        # The whole page, not only the first screen: the viewport grows to the content.
        height = driver.execute_script("return document.documentElement.scrollHeight")
        set_viewport(driver, s["width"], max(s["height"], height))
        if not driver.save_screenshot(str(f)):
            raise RuntimeError(f"could not save {f}")
        files.append(str(f))
    return files


def run(plan_file, Browser, load):
    plan = json.loads(Path(plan_file).read_text())
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` in tests/browser (make test does)")
    axe_source = AXE.read_text()
    started = time.monotonic()
    problems, checked, shots = [], [], []
    with Browser() as driver:
        cdp(driver, "Network.enable")
        driver.set_script_timeout(30)
        for page in plan["pages"]:
            for lang in plan["languages"]:
                open_page(driver, load, plan, page, lang)
                if page.get("noscript"):
                    # The page was parsed without scripts (its <noscript> content is there);
                    # scripts are needed again only to measure it.
                    cdp(driver, "Emulation.setScriptExecutionDisabled", {"value": False})
                at_load = focused_at_load(driver, page, lang, problems)
                for vp in plan["viewports"]:
                    checked.append(check(driver, plan, page, lang, vp, axe_source, problems, at_load))
                cdp(driver, "Emulation.clearDeviceMetricsOverride")
        if plan.get("screenshots"):
            shots = screenshots(driver, load, plan, problems)
    return {"ok": not problems, "problems": problems, "checked": checked, "screenshots": shots,
            "axe_version": checked[0]["axe_version"] if checked else None,
            "seconds": round(time.monotonic() - started, 1)}
