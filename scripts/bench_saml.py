#!/usr/bin/env python3
"""The SAML side of scripts/bench.sh, with nothing but the standard library.

  start  spawn the server and time it from spawn to the first 200 from /readyz
  login  sign in once through the credential form; print the Cookie header of the session
  urls   write N login paths, each a deflated HTTP-Redirect AuthnRequest with a fresh ID
  check  fetch N fresh Responses with the session and verify each with `xmlsec1 --verify`
  send   send the paths of a file one after the other on one connection; print how many
         answers were not a page carrying a SAMLResponse

It is a benchmark helper: it prints figures and facts, it never judges speed.
"""

import argparse
import base64
import html
import http.client
import http.cookiejar
import os
import re
import secrets
import shlex
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zlib

LOGIN = "/ICNotifierIDP/login"


def authn_path(sp, rid):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{rid}" Version="2.0" IssueInstant="{now}" '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
        f"<saml:Issuer>{sp}</saml:Issuer></samlp:AuthnRequest>"
    )
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(xml.encode()) + c.flush()
    q = urllib.parse.urlencode(
        {"loginType": "saml", "SAMLRequest": base64.b64encode(raw).decode(), "RelayState": "bench"}
    )
    return f"{LOGIN}?{q}"


def new_id():
    return "_" + secrets.token_hex(16)


def input_value(body, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), body)
    return html.unescape(m.group(1)) if m else None


def cmd_start(a):
    host, port = a.addr.rsplit(":", 1)
    log = open(a.log, "wb")
    t0 = time.monotonic()
    p = subprocess.Popen(
        shlex.split(a.wrap) + [a.bin, "serve", "--config", a.config],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    # Under a wrapper such as valgrind start-up takes much longer.
    wait = 300 if a.wrap else 30
    while time.monotonic() - t0 < wait:
        if p.poll() is not None:
            sys.exit(f"the server exited with {p.returncode} before it was ready; see {a.log}")
        try:
            if a.tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                c = http.client.HTTPSConnection(host, int(port), timeout=2, context=ctx)
            else:
                c = http.client.HTTPConnection(host, int(port), timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                print(p.pid, round((time.monotonic() - t0) * 1000, 1))
                return
        except OSError:
            pass
        time.sleep(0.001)
    print(p.pid, "timeout")
    sys.exit(f"the server was not ready within {wait} s")


def cmd_login(a):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = op.open(a.base + authn_path(a.sp, new_id())).read().decode()
    action = html.unescape(re.search(r'action="([^"]*)" id="login-form"', form).group(1))
    fields = {n: input_value(form, n) for n in ("state", "sp", "lang")}
    fields.update(user_id=a.user, password=a.password, action="login")
    done = op.open(action, urllib.parse.urlencode(fields).encode()).read().decode()
    if not input_value(done, "SAMLResponse"):
        sys.exit("signing in gave no SAMLResponse")
    cookies = {c.name: c.value for c in jar}
    if "idp_sso" not in cookies:
        sys.exit("signing in set no idp_sso cookie")
    print("; ".join(f"{k}={v}" for k, v in sorted(cookies.items())))


def cmd_urls(a):
    with open(a.out, "w") as f:
        for _ in range(a.count):
            f.write(authn_path(a.sp, new_id()) + "\n")


def cmd_send(a):
    host, port = a.base.split("://", 1)[1].rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    bad = 0
    with open(a.paths) as f:
        for path in f.read().split():
            c.request("GET", path, headers={"Cookie": a.cookie})
            r = c.getresponse()
            if r.status != 200 or b'name="SAMLResponse"' not in r.read():
                bad += 1
    print(bad)


def cmd_check(a):
    host, port = urllib.parse.urlsplit(a.base).netloc.rsplit(":", 1)
    xpaths = {
        "assertion": ["//*[local-name()='Assertion']/*[local-name()='Signature']"],
        "response": ["/*[local-name()='Response']/*[local-name()='Signature']"],
    }
    xpaths["both"] = xpaths["assertion"] + xpaths["response"]
    valid = 0
    problems = []
    for i in range(a.count):
        rid = new_id()
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("GET", authn_path(a.sp, rid), headers={"Cookie": a.cookie})
        r = c.getresponse()
        body = r.read().decode()
        resp = input_value(body, "SAMLResponse")
        if r.status != 200 or not resp:
            problems.append(f"status {r.status}, SAMLResponse {'present' if resp else 'missing'}")
            continue
        xml = base64.b64decode(resp).decode()
        if f'InResponseTo="{rid}"' not in xml or "status:Success" not in xml:
            problems.append("not a Success answering this request")
            continue
        path = os.path.join(a.tmp, f"resp{i}.xml")
        with open(path, "w") as f:
            f.write(xml)
        ok = True
        for xp in xpaths[a.sign]:
            v = subprocess.run(
                ["xmlsec1", "--verify", "--pubkey-cert-pem", a.cert,
                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                 "--node-xpath", xp, path],
                capture_output=True, text=True,
            )
            if v.returncode != 0:
                ok = False
                problems.append("xmlsec1: " + v.stderr.strip().splitlines()[-1][:200])
        valid += ok
    for p in problems[:5]:
        print("  sample problem:", p, file=sys.stderr)
    print(valid, a.count)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--bin", required=True)
    s.add_argument("--config", required=True)
    s.add_argument("--addr", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--wrap", default="", help="a command the server runs under (valgrind …)")
    s.add_argument("--tls", action="store_true", help="the server speaks HTTPS (self-signed)")
    s = sub.add_parser("login")
    s.add_argument("--base", required=True)
    s.add_argument("--sp", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password", required=True)
    s = sub.add_parser("urls")
    s.add_argument("--sp", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--out", required=True)
    s = sub.add_parser("check")
    s.add_argument("--base", required=True)
    s.add_argument("--sp", required=True)
    s.add_argument("--cookie", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--sign", required=True, choices=["assertion", "response", "both"])
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--tmp", required=True)
    s = sub.add_parser("send")
    s.add_argument("--base", required=True)
    s.add_argument("--cookie", required=True)
    s.add_argument("--paths", required=True)
    a = ap.parse_args()
    {
        "start": cmd_start,
        "login": cmd_login,
        "urls": cmd_urls,
        "check": cmd_check,
        "send": cmd_send,
    }[a.cmd](a)


if __name__ == "__main__":
    main()
