#!/usr/bin/env python3
"""A headless-Chromium harness for the integration tests: a real browser against the IdP.

The Rust tests in tests/ run it with std::process::Command to see what a person sees:
Debian's /usr/bin/chromium driven through Debian's /usr/bin/chromedriver by selenium
(never a downloaded driver or browser: the paths are always given, so Selenium Manager
never runs). Subcommands:

  demo-login    open BASE/demo, let the demo SP redirect to the IdP's credential form,
                sign in, follow the JavaScript auto-post back to BASE/demo/acs and check
                the demo SP's result page (signature "verified", NameID = expected email);
  inspect-form  open a credential-form (or error) page, optionally with a given
                Accept-Language, and measure it: language, direction, texts, computed
                styles, and elements that stick out of the card or have cut-off text;
  negotiate     open a URL with Negotiate allowed for one host (--auth-server-allowlist;
                the Kerberos tickets come from KRB5CCNAME/KRB5_CONFIG in the environment)
                and JavaScript off, so an auto-post page stays put: report whether the
                credential form is shown and the SAMLResponse of the page, if any.
                Chromium on Linux loads its GSSAPI library only once it has seen a
                Negotiate challenge (it remembers that in its local state): the URL is
                loaded once to arm it, and the second load is the one reported;
  screenshot    save a PNG of a page;
  audit         walk a plan of pages (GETs and form submissions) in several languages in
                one browser session and check each page at each viewport with axe-core
                (WCAG 2.2 A/AA and best practices, from tests/browser/node_modules) and
                with measurements axe does not make: text and non-text contrast, focus
                rings, 44x44 px targets on small viewports (see audit.py).

Every subcommand prints one JSON object on stdout. Exit status: 0 success; 1 a failed check
or any other failure (stdout then holds {"ok": false, "error": "<Class>: <message>", ...});
2 usage error (stdout holds {"ok": false, "error": "usage: ..."}, argparse's text goes to
stderr). Each run starts its own browser with a fresh temporary profile, quits it and
deletes the profile at the end, whatever happened. Chromium runs with
--ignore-certificate-errors (the demo uses a self-signed certificate) in a 1280x900 window.
Needs only selenium (tests/browser/requirements.txt); see tests/browser/README.md.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--ignore-certificate-errors",
    "--window-size=1280,900",
]
PAGE_LOAD_TIMEOUT_S = 30
FORM_TIMEOUT_S = 15
ACS_TIMEOUT_S = 20


class CheckFailed(Exception):
    """A check on what the browser shows failed; `extra` goes into the JSON output."""

    def __init__(self, message, **extra):
        super().__init__(message)
        self.extra = extra


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise UsageError(f"usage: {self.prog}: {message}")


def language_tags(value):
    """'fr-CA, fr;q=0.8,en' -> ['fr-CA', 'fr', 'en']: the order is kept, q-values dropped
    (Chromium would otherwise send them on as part of the tag)."""
    if not value:
        return []
    return [t.split(";")[0].strip() for t in value.split(",") if t.split(";")[0].strip()]


class Browser:
    """Chromium through chromedriver with a throw-away profile; a context manager that always
    quits the driver and deletes the profile."""

    def __init__(self, accept_language=None, flags=(), prefs=None):
        self.accept_language = accept_language
        self.flags = list(flags)
        self.prefs = dict(prefs or {})
        self.profile = None
        self.driver = None

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="pureconnect-browser-")
        try:
            options = webdriver.ChromeOptions()
            options.binary_location = CHROMIUM
            for flag in CHROMIUM_FLAGS:
                options.add_argument(flag)
            options.add_argument(f"--user-data-dir={self.profile}")
            for flag in self.flags:
                options.add_argument(flag)
            prefs = dict(self.prefs)
            tags = language_tags(self.accept_language)
            if tags:
                # The intl.accept_languages pref is what Chromium builds the Accept-Language
                # header (and navigator.languages) from: a plain comma list, Chromium adds
                # the q-values itself. --lang alone does not change the header on Linux;
                # it only sets the UI locale, so it gets the first tag.
                options.add_argument(f"--lang={tags[0]}")
                prefs["intl.accept_languages"] = ",".join(tags)
            if prefs:
                options.add_experimental_option("prefs", prefs)
            service = Service(executable_path=CHROMEDRIVER)
            self.driver = webdriver.Chrome(service=service, options=options)
            self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.driver

    def __exit__(self, *exc):
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            self.driver = None
            if self.profile:
                shutil.rmtree(self.profile, ignore_errors=True)
                self.profile = None
        return False


def network_error(driver):
    """Chromium's own error code (ERR_CONNECTION_REFUSED, ...) when the tab shows its
    "can't be reached" page instead of a server's answer, else None."""
    return driver.execute_script(
        "if (!location.href.startsWith('chrome-error:')) return null;"
        "const e = document.querySelector('.error-code');"
        "return (e && e.innerText.trim()) || 'network error';"
    )


def check_network(driver, url):
    err = network_error(driver)
    if err:
        raise CheckFailed(f"could not load {url}: {err}", url=url)


def load(driver, url):
    driver.get(url)
    check_network(driver, url)
    wait_loaded(driver)


def wait_loaded(driver, timeout=FORM_TIMEOUT_S):
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def text_of(driver, css):
    """innerText (trimmed) of the first element matching css, or None."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.innerText.trim() : null;",
        css,
    )


def page_summary(driver):
    """Where the browser is and what the page says, for error reports."""
    try:
        return {
            "url": driver.current_url,
            "title": driver.title,
            "heading": text_of(driver, "h1"),
            "message": text_of(driver, "#error, #message, .error"),
            "detail": driver.execute_script(
                "const e = document.querySelector('#detail');"
                "return e ? e.textContent.trim() : null;"
            ),
        }
    except Exception as e:  # the page may be gone; the report is best effort
        return {"summary_error": f"{type(e).__name__}: {e}"}


def save_screenshot(driver, path):
    path = Path(path)
    if path.parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"could not save a screenshot to {path}")


def cmd_demo_login(args):
    base = args.url.rstrip("/")
    shots = Path(args.screenshot_dir) if args.screenshot_dir else None
    with Browser() as driver:
        try:
            load(driver, base + "/demo")
            # The demo SP answers with a redirect to the IdP; wait for the form, or stop
            # early on an error page (it has an h1#heading but no form).
            try:
                WebDriverWait(driver, FORM_TIMEOUT_S).until(
                    lambda d: d.find_elements(By.CSS_SELECTOR, "#login-form")
                    or (
                        d.find_elements(By.CSS_SELECTOR, "#heading")
                        and d.execute_script("return document.readyState") == "complete"
                    )
                )
            except TimeoutException:
                raise CheckFailed(
                    f"no #login-form within {FORM_TIMEOUT_S} s", page=page_summary(driver)
                )
            if not driver.find_elements(By.CSS_SELECTOR, "#login-form"):
                raise CheckFailed("the page has no #login-form", page=page_summary(driver))
            form_title = driver.title
            user = driver.find_element(By.CSS_SELECTOR, "#user_id")
            user.clear()
            user.send_keys(args.user)
            driver.find_element(By.CSS_SELECTOR, "#password").send_keys(args.password)
            if shots:
                save_screenshot(driver, shots / "form.png")
            old_form = driver.find_element(By.CSS_SELECTOR, "#login-form")
            driver.find_element(By.CSS_SELECTOR, "#logon").click()

            def at_acs(d):
                check_network(d, d.current_url)
                path = urlsplit(d.current_url).path
                if path.endswith("/demo/acs") and d.find_elements(By.CSS_SELECTOR, "#name-id"):
                    return True
                try:
                    old_form.is_enabled()
                    return False  # still the page we clicked on
                except StaleElementReferenceException:
                    pass
                # A new page: the form again with an error (wrong password), or an error
                # page, ends the wait at once instead of after ACS_TIMEOUT_S.
                if d.execute_script(
                    "return document.readyState === 'complete' &&"
                    " !!document.querySelector('#error, #message')"
                ):
                    raise CheckFailed("the sign-in was refused", page=page_summary(d))
                return False

            try:
                WebDriverWait(driver, ACS_TIMEOUT_S).until(at_acs)
            except TimeoutException:
                raise CheckFailed(
                    f"did not reach /demo/acs with #name-id within {ACS_TIMEOUT_S} s",
                    page=page_summary(driver),
                )
            if shots:
                save_screenshot(driver, shots / "result.png")
            signature = text_of(driver, "#signature")
            name_id = text_of(driver, "#name-id")
            final_url = driver.current_url
            if signature != "verified":
                raise CheckFailed(
                    f"#signature is {signature!r}, not 'verified'",
                    name_id=name_id, final_url=final_url,
                )
            if name_id != args.expect_email:
                raise CheckFailed(
                    f"#name-id is {name_id!r}, expected {args.expect_email!r}",
                    name_id=name_id, final_url=final_url,
                )
            return {"ok": True, "name_id": name_id, "form_title": form_title, "final_url": final_url}
        except BaseException:
            if shots:
                try:
                    save_screenshot(driver, shots / "failure.png")
                except Exception:
                    pass
            raise


# Measures the page in one go. An element counts as overflowing when its border box
# reaches outside #card's border box (0.5 px tolerance for sub-pixel layout) or when its
# content is wider than its box (scrollWidth > clientWidth: text cut off). Elements that
# are not rendered (hidden inputs, display:none, invisible, inside a closed <details>) are
# skipped.
INSPECT_JS = r"""
const q = (s) => document.querySelector(s);
const txt = (e) => (e ? e.innerText.trim() : null);
const card = q('#card');
const cr = card ? card.getBoundingClientRect() : null;
const EPS = 0.5;
const r1 = (x) => Math.round(x * 10) / 10;
function selectorOf(e) {
  if (e.id) return '#' + e.id;
  const tag = e.tagName.toLowerCase();
  if (tag === 'label' && e.htmlFor) return 'label[for="' + e.htmlFor + '"]';
  let s = tag, p = e.parentElement;
  if (p) {
    const same = Array.from(p.children).filter((c) => c.tagName === e.tagName);
    if (same.length > 1) s += ':nth-of-type(' + (same.indexOf(e) + 1) + ')';
    s = selectorOf(p) + ' > ' + s;
  }
  return s;
}
const overflow = [];
const scope = card || document.body;
for (const e of scope.querySelectorAll('label, input, button, select, h1, p')) {
  if (e.type === 'hidden') continue;
  // checkVisibility() is false for display:none and for content inside a closed <details>
  // (content-visibility: hidden), which still has a layout box.
  if (e.checkVisibility && !e.checkVisibility({visibilityProperty: true})) continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  const reasons = [];
  if (cr && (r.left < cr.left - EPS || r.right > cr.right + EPS ||
             r.top < cr.top - EPS || r.bottom > cr.bottom + EPS)) reasons.push('outside-card');
  if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) reasons.push('clipped');
  if (!reasons.length) continue;
  overflow.push({
    selector: selectorOf(e), id: e.id || null, tag: e.tagName.toLowerCase(),
    text: (e.innerText || e.value || '').trim(), reasons: reasons,
    left: r1(r.left), right: r1(r.right), top: r1(r.top), bottom: r1(r.bottom),
    scroll_width: e.scrollWidth, client_width: e.clientWidth,
    card_left: cr ? r1(cr.left) : null, card_right: cr ? r1(cr.right) : null,
  });
}
const user = q('#user_id');
const h1 = q('h1#heading') || q('h1');
return {
  lang: document.documentElement.getAttribute('lang'),
  dir: document.documentElement.getAttribute('dir'),
  title: document.title,
  heading: txt(q('h1#heading')),
  buttons: {logon: txt(q('#logon')), cancel: txt(q('#cancel'))},
  labels: Array.from(document.querySelectorAll('label')).map((l) => l.innerText.trim()),
  overflow: overflow,
  card: cr ? {left: r1(cr.left), right: r1(cr.right), width: r1(cr.width)} : null,
  input_user_dir: user ? getComputedStyle(user).direction : null,
  text_align_heading: h1 ? getComputedStyle(h1).textAlign : null,
  navigator_languages: Array.from(navigator.languages || []),
  page_scroll_width: document.documentElement.scrollWidth,
  viewport_width: document.documentElement.clientWidth,
};
"""


def cmd_inspect_form(args):
    with Browser(args.accept_language) as driver:
        load(driver, args.url)
        # Fonts (and so text widths) may settle after load.
        driver.execute_script("return document.fonts ? document.fonts.ready.then(() => true) : true")
        report = driver.execute_script(INSPECT_JS)
        if args.screenshot:
            save_screenshot(driver, args.screenshot)
        return {"ok": True, **report}


def cmd_negotiate(args):
    flags = [f"--auth-server-allowlist={args.allowlist}"]
    # JavaScript off: the auto-post page stays, and its SAMLResponse can be read.
    prefs = {"profile.managed_default_content_settings.javascript": 2}
    with Browser(args.accept_language, flags, prefs) as driver:
        load(driver, args.url)  # arms Negotiate (see the docstring)
        load(driver, args.url)
        found = driver.find_elements(By.CSS_SELECTOR, "input[name=SAMLResponse]")
        return {
            "ok": True,
            "login_form": bool(driver.find_elements(By.CSS_SELECTOR, "#login-form")),
            "saml_response": found[0].get_attribute("value") if found else None,
            "relay_state": next(
                (e.get_attribute("value")
                 for e in driver.find_elements(By.CSS_SELECTOR, "input[name=RelayState]")),
                None,
            ),
            "page": page_summary(driver),
            "text": driver.execute_script("return document.body ? document.body.innerText : ''"),
        }


def cmd_screenshot(args):
    with Browser(args.accept_language) as driver:
        load(driver, args.url)
        driver.execute_script("return document.fonts ? document.fonts.ready.then(() => true) : true")
        save_screenshot(driver, args.out)
        return {"ok": True}


def cmd_audit(args):
    from audit import run  # selenium-only too; kept apart for its size

    result = run(args.plan, Browser, load)
    if result["problems"]:
        raise CheckFailed(f"{len(result['problems'])} problems", **result)
    return result


def build_parser():
    p = Parser(prog="browser.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    d = sub.add_parser("demo-login", help="sign in through the demo SP and check the result")
    d.add_argument("--url", required=True, help="base URL of the server, e.g. https://127.0.0.1:18543")
    d.add_argument("--user", default="agent1")
    d.add_argument("--password", default="agent1")
    d.add_argument("--expect-email", default="agent1@example.com")
    d.add_argument("--screenshot-dir", help="save form.png and result.png (failure.png on failure) here")
    d.set_defaults(run=cmd_demo_login)

    i = sub.add_parser("inspect-form", help="measure a credential-form or error page")
    i.add_argument("--url", required=True)
    i.add_argument("--accept-language", help="tags in order, e.g. de or fr-CA,fr,en (q-values are dropped; Chromium adds its own)")
    i.add_argument("--screenshot", help="save a PNG of the page here")
    i.set_defaults(run=cmd_inspect_form)

    n = sub.add_parser("negotiate", help="open a URL with Negotiate allowed for one host")
    n.add_argument("--url", required=True)
    n.add_argument("--allowlist", required=True, help="the --auth-server-allowlist value, e.g. localhost")
    n.add_argument("--accept-language")
    n.set_defaults(run=cmd_negotiate)

    s = sub.add_parser("screenshot", help="save a PNG of a page")
    s.add_argument("--url", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--accept-language")
    s.set_defaults(run=cmd_screenshot)

    a = sub.add_parser("audit", help="axe-core and measurements on a plan of pages (audit.py)")
    a.add_argument("--plan", required=True, help="a JSON file: see audit.py")
    a.set_defaults(run=cmd_audit)
    return p


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        emit({"ok": False, "error": str(e)})
        return 2
    started = time.monotonic()
    try:
        result = args.run(args)
    except CheckFailed as e:
        emit({"ok": False, "error": f"CheckFailed: {e}", **e.extra})
        return 1
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        # selenium's messages carry a long stack trace after the first line
        emit({"ok": False, "error": f"{type(e).__name__}: {msg}"})
        return 1
    finally:
        sys.stderr.write(f"browser.py {args.command}: {time.monotonic() - started:.2f} s\n")
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
