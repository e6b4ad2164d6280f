#!/usr/bin/env python3
"""An independent SAML 2.0 service provider, pysaml2 acting as the SP, for the integration tests.

Owns the SP side of Web Browser SSO and Single Logout as the Rust tests in tests/ drive it
through std::process::Command: printing SP metadata (`metadata`), building an AuthnRequest
for the IdP described by a metadata file, HTTP-Redirect or HTTP-POST, optionally signed
(`authn`), and validating the SAMLResponse the IdP posts back (`verify`) with pysaml2's own
checks (signatures through xmlsec1 against the IdP metadata certificates only, audience,
InResponseTo, Destination, Recipient, times) plus a few of its own, noted in the code; for
SLO, building a LogoutRequest to the IdP's SingleLogoutService (`logout`) and validating the
LogoutResponse the IdP sends back, HTTP-Redirect query signature or HTTP-POST enveloped
signature (`verify-logout`).
Every subcommand prints one JSON object on stdout (`metadata` prints XML); pysaml2's
logging goes to stderr. Exit status: 0 success, 1 failure (stdout then holds
{"ok": false, "error": "<ExceptionClass>: <message>"}), 2 usage error (argparse).
It does not run an HTTP server or a browser, keep state between runs, or decrypt
assertions: the Rust tests carry the request ID and the form fields themselves.
Uses only the standard library and pysaml2 (tests/sp/requirements.txt); see tests/sp/README.md.
"""

import argparse
import base64
import json
import logging
import os
import shutil
import sys
import tempfile
import traceback
import warnings
import zlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote_plus, urlsplit

# cryptography warns about pysaml2's use of deprecated cipher modes on import; keep
# stderr readable for the Rust test output.
warnings.filterwarnings("ignore")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp  # noqa: E402
from saml2.client import Saml2Client  # noqa: E402
from saml2.config import SPConfig  # noqa: E402
from saml2.metadata import entity_descriptor, metadata_tostring_fix  # noqa: E402
from saml2.response import StatusError  # noqa: E402
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID  # noqa: E402
from saml2.sigver import SIGNER_ALGS, extract_rsa_key_from_x509_cert, pem_format  # noqa: E402
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256  # noqa: E402

STATUS_SUCCESS = samlp.STATUS_SUCCESS
ACCEPTED_TIME_DIFF = 60  # seconds of clock skew tolerated by pysaml2

BINDINGS = {"redirect": BINDING_HTTP_REDIRECT, "post": BINDING_HTTP_POST}


class HarnessError(Exception):
    """A check made by this harness itself (on top of pysaml2's own checks)."""


class NameIDFormatMismatch(HarnessError):
    pass


class NoVerifiedAssertion(HarnessError):
    pass


class MissingDestination(HarnessError):
    pass


class MissingSignature(HarnessError):
    pass


class BadRedirectSignature(HarnessError):
    pass


class LogoutResponseRejected(HarnessError):
    pass


def emit(obj, code=0):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    return code


def err_text(exc):
    return f"{type(exc).__name__}: {exc}"


def xmlsec_binary():
    path = os.environ.get("XMLSEC1") or shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
    return path


# --------------------------------------------------------------------------- config


def sp_config(args, *, idp_metadata=None, audience=None):
    """Build a pysaml2 SPConfig from the command line.

    `audience`, when given, replaces the entity ID as the value pysaml2 expects in the
    assertion's AudienceRestriction (pysaml2 checks the audience against its own
    entity ID).
    """
    sp = {
        "endpoints": {
            "assertion_consumer_service": [(args.acs, BINDING_HTTP_POST)],
        },
        # Web Browser SSO responses come back through the IdP's auto-submit form.
        "allow_unsolicited": bool(getattr(args, "allow_unsolicited", False)),
        "want_assertions_signed": bool(getattr(args, "want_assertions_signed", False)),
        "want_response_signed": bool(getattr(args, "want_response_signed", False)),
        # With both of the above off, still demand that the response or the
        # assertion carries a (valid) signature.
        "want_assertions_or_response_signed": True,
        "authn_requests_signed": bool(getattr(args, "sign", False)),
        "name_id_format": [args.name_id_format],
        "name_id_policy_format": args.name_id_format,
        "name_id_format_allow_create": False,
    }
    slo = getattr(args, "slo", None)
    if slo:
        sp["endpoints"]["single_logout_service"] = [
            (slo, BINDING_HTTP_REDIRECT),
            (slo, BINDING_HTTP_POST),
        ]
    conf = {
        "entityid": audience or args.entity_id,
        "service": {"sp": sp},
        "xmlsec_binary": xmlsec_binary(),
        "crypto_backend": "xmlsec1",
        "accepted_time_diff": ACCEPTED_TIME_DIFF,
        # Keep attributes whose names pysaml2's attribute maps do not know.
        "allow_unknown_attributes": True,
        # Never trust a certificate that the message itself carries.
        "only_use_keys_in_metadata": True,
        "delete_tmpfiles": True,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }
    if idp_metadata:
        conf["metadata"] = {"local": [idp_metadata]}
    key = getattr(args, "key", None)
    cert = getattr(args, "cert", None)
    if key:
        conf["key_file"] = key
    if cert:
        conf["cert_file"] = cert
    config = SPConfig()
    config.load(conf)
    return config


def pick_idp(client, wanted):
    idps = list(client.metadata.identity_providers())
    if wanted:
        if wanted not in idps:
            raise HarnessError(f"IdP {wanted!r} not in metadata (found {idps})")
        return wanted
    if not idps:
        # pysaml2 silently drops an EntityDescriptor whose validUntil has passed, and
        # one whose IDPSSODescriptor's protocolSupportEnumeration lacks SAML 2.0.
        raise HarnessError(
            "no usable IDPSSODescriptor in the metadata (validUntil in the past? "
            "protocolSupportEnumeration without urn:oasis:names:tc:SAML:2.0:protocol?)"
        )
    if len(idps) != 1:
        raise HarnessError(f"expected exactly one IdP in metadata, found {idps}; use --idp-entity-id")
    return idps[0]


# --------------------------------------------------------------------------- metadata


def cmd_metadata(args):
    config = sp_config(args)
    desc = entity_descriptor(config)
    xml = metadata_tostring_fix(desc, {"xs": "http://www.w3.org/2001/XMLSchema"})
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8")
    sys.stdout.write(xml + "\n")
    return 0


# --------------------------------------------------------------------------- authn


class _FormInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            a = dict(attrs)
            if a.get("name") and a.get("type", "").lower() == "hidden":
                self.fields[a["name"]] = a.get("value") or ""


def fix_redirect_url(url, location):
    """Make sure the query separator after the SSO/SLO location is right.

    pysaml2 7.5.5 already glues with '&' when the location has a query string
    (pack.http_redirect_message); this also copes with a location that ends in a bare
    '?' or '&', so the result always has exactly one '?'.
    """
    rest = url[len(location):]
    glue, payload = rest[0], rest[1:]
    if glue not in "?&":
        raise HarnessError(f"unexpected redirect URL from pysaml2: {url}")
    base = location
    if base.endswith("?") or base.endswith("&"):
        base = base[:-1]
    fixed = base + ("&" if "?" in base else "?") + payload
    if fixed.count("?") != 1:
        raise HarnessError(f"redirect URL does not have exactly one '?': {fixed}")
    return fixed


def sending_client(args):
    """The SP client that sends a request (authn, logout), its IdP and the binding chosen."""
    if args.sign and not (args.key and args.cert):
        raise HarnessError("--sign needs --key and --cert")
    config = sp_config(args, idp_metadata=args.idp_metadata)
    client = Saml2Client(config)
    return client, pick_idp(client, args.idp_entity_id), BINDINGS[args.binding]


def cmd_authn(args):
    client, idp, binding = sending_client(args)
    extra = {"assertion_consumer_service_url": args.acs}
    if args.force_authn:
        extra["force_authn"] = "true"
    if args.is_passive:
        extra["is_passive"] = "true"
    reqid, info = client.prepare_for_authenticate(
        entityid=idp,
        relay_state=args.relay_state or "",
        binding=binding,
        nameid_format=args.name_id_format,
        sign=bool(args.sign),
        sigalg=SIG_RSA_SHA256 if args.sign else None,
        digest_alg=DIGEST_SHA256 if args.sign else None,
        response_binding=BINDING_HTTP_POST,
        **extra,
    )
    return emit(request_json(args, info, reqid))


def request_json(args, info, reqid):
    """The JSON for a request pysaml2's apply_binding packed (authn and logout)."""
    location = info["url"]
    if args.binding == "redirect":
        url = dict(info["headers"])["Location"]
        url = fix_redirect_url(url, location)
        out = {
            "binding": "redirect",
            "url": url,
            "request_id": reqid,
            "relay_state": args.relay_state,
        }
    else:
        parser = _FormInputs()
        parser.feed(info["data"])
        fields = parser.fields
        if "SAMLRequest" not in fields:
            raise HarnessError("pysaml2's POST form has no SAMLRequest field")
        out = {
            "binding": "post",
            "action": location,
            "fields": fields,
            "request_id": reqid,
        }
    if args.show_xml:
        if args.binding == "redirect":
            q = parse_qs(urlsplit(out["url"]).query)
            raw = zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15)
        else:
            raw = base64.b64decode(out["fields"]["SAMLRequest"])
        out["xml"] = raw.decode("utf-8")
    return out


# --------------------------------------------------------------------------- verify


def decode_saml_response(b64):
    raw = base64.b64decode("".join(b64.split()))
    if raw.lstrip()[:1] != b"<":
        raw = zlib.decompress(raw, -15)
    return raw


def status_from_xml(raw):
    """Top-level and second-level StatusCode plus StatusMessage, read before validation."""
    msg = samlp.any_response_from_string(raw.decode("utf-8"))
    if msg is None or msg.status is None:
        return {}
    out = {}
    code = msg.status.status_code
    if code is not None:
        out["status"] = code.value
        if code.status_code is not None:
            out["sub_status"] = code.status_code.value
    if msg.status.status_message is not None and msg.status.status_message.text:
        out["status_message"] = msg.status.status_message.text
    return out


def cmd_verify(args):
    with open(args.response_file, "r", encoding="ascii") as fh:
        b64 = fh.read().strip()
    status = {}
    try:
        status = status_from_xml(decode_saml_response(b64))
    except Exception:  # pysaml2 will report what is wrong with it
        pass

    try:
        config = sp_config(args, idp_metadata=args.idp_metadata, audience=args.audience)
        client = Saml2Client(config)
        outstanding = {args.request_id: args.acs} if args.request_id else {}
        resp = client.parse_authn_request_response(
            b64,
            BINDING_HTTP_POST,
            outstanding=outstanding,
            # Makes pysaml2 check SubjectConfirmationData/@Recipient against the ACS.
            conv_info={"entity_id": args.entity_id},
        )
        if status.get("status") not in (None, STATUS_SUCCESS):
            # pysaml2 raises a StatusError for this; never report ok:true regardless.
            raise StatusError(f"top-level status {status.get('status')}")
        if resp is None:
            raise NoVerifiedAssertion("pysaml2 returned no response (could not unravel the message)")
        if resp.assertion is None:
            # pysaml2 ignores a failed StatusResponse._verify() (Destination not among
            # the ACS URLs, InResponseTo mismatch) and hands back a response whose
            # assertion was never checked: treat that as failure.
            dest = resp.response.destination if resp.response is not None else None
            raise NoVerifiedAssertion(
                f"pysaml2 accepted no assertion (Destination={dest!r}, expected {args.acs!r}; "
                f"InResponseTo={resp.in_response_to!r})"
            )
        if not resp.response.destination:
            # pysaml2 only compares Destination when it is present; SAML bindings 3.5.5.2
            # requires it on a signed message sent over HTTP-POST.
            raise MissingDestination("Response has no Destination attribute")
        name_id = resp.name_id
        if name_id is None:
            raise NoVerifiedAssertion("assertion has no NameID")
        if not args.any_name_id_format and name_id.format != args.name_id_format:
            raise NameIDFormatMismatch(f"NameID Format {name_id.format!r}, expected {args.name_id_format!r}")
        return emit(success_json(resp, status))
    except Exception as exc:  # noqa: BLE001 - every failure becomes ok:false
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        out = {"ok": False, "error": err_text(exc)}
        out.update(status)
        return emit(out, 1)


def success_json(resp, status):
    assertion = resp.assertion
    attributes = {}
    for stmt in assertion.attribute_statement or []:
        for attr in stmt.attribute or []:
            vals = attributes.setdefault(attr.name, [])
            for v in attr.attribute_value or []:
                vals.append(v.text if v.text is not None else "")
    session_index = None
    authn_class = None
    if assertion.authn_statement:
        st = assertion.authn_statement[0]
        session_index = st.session_index
        ctx = st.authn_context
        if ctx is not None and ctx.authn_context_class_ref is not None:
            authn_class = ctx.authn_context_class_ref.text
    audiences = []
    if assertion.conditions is not None:
        for ar in assertion.conditions.audience_restriction or []:
            audiences.extend(a.text for a in ar.audience or [])
    recipients = [
        sc.subject_confirmation_data.recipient
        for sc in assertion.subject.subject_confirmation or []
        if sc.subject_confirmation_data is not None
    ]
    top = resp.response
    return {
        "ok": True,
        "name_id": resp.name_id.text,
        "name_id_format": resp.name_id.format,
        "issuer": resp.issuer(),
        "assertion_issuer": assertion.issuer.text if assertion.issuer is not None else None,
        "attributes": attributes,
        "ava": resp.ava or {},
        "session_index": session_index,
        "in_response_to": resp.in_response_to,
        "status": status.get("status", STATUS_SUCCESS),
        "response_signed": top.signature is not None,
        "assertion_signed": assertion.signature is not None,
        "destination": top.destination,
        "audiences": audiences,
        "recipients": recipients,
        "authn_context_class_ref": authn_class,
        "response_id": top.id,
        "assertion_id": assertion.id,
    }


# --------------------------------------------------------------------------- logout


def cmd_logout(args):
    client, idp, binding = sending_client(args)
    # The IdP's SingleLogoutService Location for this binding, from its metadata.
    binding, location = client.pick_binding("single_logout_service", [binding], "idpsso", entity_id=idp)
    if not location:
        raise HarnessError(f"no SingleLogoutService Location for {binding} in the IdP metadata")
    # As Saml2Client.do_logout does: POST signs the XML (enveloped), Redirect the query.
    sign_post = bool(args.sign) and binding == BINDING_HTTP_POST
    sign_redirect = bool(args.sign) and binding == BINDING_HTTP_REDIRECT
    reqid, request = client.create_logout_request(
        location,
        idp,
        name_id=NameID(text=args.name_id, format=args.name_id_format),
        session_indexes=[args.session_index] if args.session_index else None,
        sign=sign_post,
        sign_alg=SIG_RSA_SHA256 if sign_post else None,
        digest_alg=DIGEST_SHA256 if sign_post else None,
    )
    info = client.apply_binding(
        binding,
        str(request),
        location,
        relay_state=args.relay_state or "",
        sign=sign_redirect,
        sigalg=SIG_RSA_SHA256,
    )
    return emit(request_json(args, info, reqid))


# --------------------------------------------------------------------------- verify-logout

SAML_QUERY_PARAMS = ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature")
REDIRECT_SIGALGS = (SIG_RSA_SHA256,)  # the only SigAlg accepted on a Redirect signature


def raw_query_params(query):
    """The SAML parameters of a query string, name -> value still URL-encoded as received.

    The Redirect signature covers the encoded octets exactly as sent (SAML bindings
    3.4.4.1), so the values are kept raw; a repeated SAML parameter is refused.
    """
    params = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = unquote_plus(name)
        if name not in SAML_QUERY_PARAMS:
            continue  # e.g. the SP's own query string on its SLO URL
        if name in params:
            raise HarnessError(f"query parameter {name} appears more than once")
        params[name] = value
    return params


def verify_redirect_query_signature(client, idp, raw):
    """Check the HTTP-Redirect SigAlg/Signature over the raw query against the IdP metadata.

    pysaml2 7.5.5 has saml2.sigver.verify_redirect_signature, but it rebuilds the signed
    string by urlencode()-ing the already decoded values, which is not what bindings
    3.4.4.1 says (verify over the octets as received: a signature over e.g. `%20` in
    RelayState, or lowercase percent-escapes, would be refused, and a different encoding
    of the same values accepted). So the string is built here from the raw parts, in the
    order SAMLResponse, RelayState (if present), SigAlg; the RSA check itself is pysaml2's
    own (SIGNER_ALGS[RSA-SHA256], i.e. the cryptography package, PKCS#1 v1.5), with the
    keys of the IdP's signing certificates from its metadata only
    (KeyDescriptor use="signing" or without use).
    """
    if "Signature" not in raw or "SigAlg" not in raw:
        raise MissingSignature("HTTP-Redirect LogoutResponse has no SigAlg/Signature query parameters")
    sigalg = unquote_plus(raw["SigAlg"])
    if sigalg not in REDIRECT_SIGALGS:
        raise BadRedirectSignature(f"SigAlg {sigalg!r} not allowed (only {', '.join(REDIRECT_SIGALGS)})")
    try:
        signature = base64.b64decode(unquote_plus(raw["Signature"]), validate=True)
    except ValueError as exc:
        raise BadRedirectSignature(f"Signature is not base64: {exc}") from exc
    signed = "&".join(f"{k}={raw[k]}" for k in ("SAMLResponse", "RelayState", "SigAlg") if k in raw)
    try:
        signed = signed.encode("ascii")
    except UnicodeEncodeError as exc:
        raise BadRedirectSignature("query string is not ASCII (not URL-encoded?)") from exc
    certs = client.metadata.certs(idp, "idpsso", "signing")
    if not certs:
        raise BadRedirectSignature(f"no signing certificate for {idp!r} in the IdP metadata")
    signer = SIGNER_ALGS[sigalg]
    for _name, cert in certs:
        if signer.verify(signed, signature, extract_rsa_key_from_x509_cert(pem_format(cert))):
            return
    raise BadRedirectSignature(
        f"query signature does not verify with any of the {len(certs)} signing certificate(s) in the IdP metadata"
    )


def cmd_verify_logout(args):
    status = {}
    try:
        raw = {}
        relay_state = None
        if args.url:
            if args.binding not in (None, "redirect"):
                raise HarnessError("--url is the HTTP-Redirect binding; use --response-file for --binding post")
            binding = BINDING_HTTP_REDIRECT
            url = urlsplit(args.url)
            slo = urlsplit(args.slo)
            if (url.scheme, url.netloc, url.path) != (slo.scheme, slo.netloc, slo.path):
                where = f"{url.scheme}://{url.netloc}{url.path}"
                raise HarnessError(f"redirect goes to {where!r}, not to the SP's SLO URL {args.slo!r}")
            raw = raw_query_params(url.query)
            if "SAMLResponse" not in raw:
                raise HarnessError("no SAMLResponse query parameter in --url")
            saml_response = unquote_plus(raw["SAMLResponse"])
            if "RelayState" in raw:
                relay_state = unquote_plus(raw["RelayState"])
        else:
            if args.binding not in (None, "post"):
                raise HarnessError("--response-file is the HTTP-POST binding; use --url for --binding redirect")
            binding = BINDING_HTTP_POST
            with open(args.response_file, "r", encoding="ascii") as fh:
                saml_response = fh.read().strip()
        try:
            status = status_from_xml(decode_saml_response(saml_response))
        except Exception:  # pysaml2 will report what is wrong with it
            pass

        config = sp_config(args, idp_metadata=args.idp_metadata)
        client = Saml2Client(config)
        idp = pick_idp(client, args.idp_entity_id)
        signature_checked = False
        if binding == BINDING_HTTP_REDIRECT and (args.require_signature or "Signature" in raw or "SigAlg" in raw):
            # Checked before the XML is even parsed, as an SP should.
            verify_redirect_query_signature(client, idp, raw)
            signature_checked = True
        # pysaml2 inflates/decodes, checks an enveloped signature if there is one (xmlsec1,
        # IdP metadata certificates only), the Destination if present, the status.
        resp = client.parse_logout_request_response(saml_response, binding)
        if status.get("status") not in (None, STATUS_SUCCESS):
            raise StatusError(f"top-level status {status.get('status')}")
        if resp is None or resp.response is None:
            raise LogoutResponseRejected("pysaml2 returned no LogoutResponse (could not unravel the message)")
        top = resp.response
        # _parse_response ignores what StatusResponse.verify() returns (InResponseTo,
        # Destination, IssueInstant); run it again with the request ID and honour it.
        resp.request_id = args.request_id
        if not resp.verify():
            raise LogoutResponseRejected(
                f"pysaml2 rejected the LogoutResponse (InResponseTo={top.in_response_to!r}, expected "
                f"{args.request_id!r}; Destination={top.destination!r}, expected {args.slo!r}; "
                f"IssueInstant={top.issue_instant!r})"
            )
        # pysaml2 only compares InResponseTo / Destination when they are present.
        if top.in_response_to != args.request_id:
            raise LogoutResponseRejected(f"InResponseTo {top.in_response_to!r}, expected {args.request_id!r}")
        if not top.destination:
            raise MissingDestination("LogoutResponse has no Destination attribute")
        if top.destination != args.slo:
            raise LogoutResponseRejected(f"Destination {top.destination!r}, expected {args.slo!r}")
        # pysaml2 takes the signing keys from the Issuer's metadata but does not compare
        # the Issuer with the IdP the request went to.
        if resp.issuer() != idp:
            raise LogoutResponseRejected(f"Issuer {resp.issuer()!r}, expected {idp!r}")
        if binding == BINDING_HTTP_POST:
            if top.signature is not None:
                signature_checked = True  # pysaml2 verified it above, or raised
            elif args.require_signature:
                raise MissingSignature("HTTP-POST LogoutResponse carries no enveloped signature")
        return emit(
            {
                "ok": True,
                "status": status.get("status", STATUS_SUCCESS),
                "in_response_to": top.in_response_to,
                "issuer": resp.issuer(),
                "destination": top.destination,
                "signature_checked": signature_checked,
                "relay_state": relay_state,
                "response_id": top.id,
                "binding": "redirect" if binding == BINDING_HTTP_REDIRECT else "post",
            }
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes ok:false
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        out = {"ok": False, "error": err_text(exc)}
        out.update(status)
        return emit(out, 1)


# --------------------------------------------------------------------------- main


def build_parser():
    p = argparse.ArgumentParser(prog="pysaml2_sp.py", description="pysaml2-based test SAML SP")
    p.add_argument("--debug", action="store_true", help="pysaml2 debug logging (and tracebacks) on stderr")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, idp=True):
        sp.add_argument("--entity-id", required=True, help="SP entity ID (AuthnRequest Issuer)")
        sp.add_argument("--acs", required=True, help="AssertionConsumerService URL (HTTP-POST)")
        sp.add_argument(
            "--name-id-format",
            default=NAMEID_FORMAT_EMAILADDRESS,
            help="NameIDPolicy Format requested / NameID Format expected (default emailAddress)",
        )
        if idp:
            sp.add_argument("--idp-metadata", required=True, help="file with the IdP's SAML metadata")
            sp.add_argument("--idp-entity-id", help="IdP to use when the metadata lists several")

    def outgoing(sp):
        """What every request the SP sends takes: binding, RelayState, signing, the XML shown."""
        sp.add_argument("--binding", choices=sorted(BINDINGS), default="redirect")
        sp.add_argument("--relay-state")
        sp.add_argument("--sign", action="store_true", help="sign: Redirect = SigAlg/Signature query, POST = enveloped")
        sp.add_argument("--key", help="PEM private key for --sign")
        sp.add_argument("--cert", help="PEM certificate for --sign")
        sp.add_argument("--show-xml", action="store_true", help="also put the request XML in the JSON as 'xml'")

    m = sub.add_parser("metadata", help="print SP metadata XML")
    common(m, idp=False)
    m.add_argument("--slo", help="SingleLogoutService URL (Redirect and POST)")
    m.add_argument("--cert", help="PEM certificate to publish as the SP's signing key")

    a = sub.add_parser("authn", help="create an AuthnRequest (JSON on stdout)")
    common(a)
    outgoing(a)
    a.add_argument("--force-authn", action="store_true")
    a.add_argument("--is-passive", action="store_true")

    v = sub.add_parser("verify", help="validate a posted SAMLResponse (JSON on stdout)")
    common(v)
    v.add_argument("--response-file", required=True, help="file holding the base64 SAMLResponse form value")
    g = v.add_mutually_exclusive_group()
    g.add_argument("--request-id", help="ID of the AuthnRequest this must answer (InResponseTo)")
    g.add_argument("--allow-unsolicited", action="store_true", help="accept IdP-initiated responses")
    v.add_argument("--want-assertions-signed", action="store_true")
    v.add_argument("--want-response-signed", action="store_true")
    v.add_argument("--audience", help="expected Audience (default: --entity-id)")
    v.add_argument("--any-name-id-format", action="store_true", help="do not check the NameID Format")

    lo = sub.add_parser("logout", help="create a LogoutRequest to the IdP's SingleLogoutService (JSON on stdout)")
    common(lo)
    lo.add_argument("--name-id", required=True, help="NameID value of the user (Format: --name-id-format)")
    lo.add_argument("--session-index", help="SessionIndex to put in the request")
    outgoing(lo)
    lo.add_argument("--slo", help="the SP's own SingleLogoutService URL (SP config)")

    vl = sub.add_parser("verify-logout", help="validate the IdP's LogoutResponse (JSON on stdout)")
    common(vl)
    src = vl.add_mutually_exclusive_group(required=True)
    src.add_argument("--url", help="full Location of the IdP's HTTP-Redirect to the SP's SLO URL")
    src.add_argument("--response-file", help="file holding the base64 SAMLResponse form value (HTTP-POST)")
    vl.add_argument("--binding", choices=sorted(BINDINGS), help="default: redirect with --url, post with --response-file")
    vl.add_argument("--request-id", required=True, help="ID of the LogoutRequest this must answer (InResponseTo)")
    vl.add_argument("--slo", required=True, help="the SP's SLO URL: the expected Destination")
    vl.add_argument(
        "--require-signature",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Redirect: SigAlg/Signature query signature required; POST: enveloped signature required (default on)",
    )
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:
        # pysaml2 logs every rejected message at ERROR with the whole document; the
        # JSON on stdout already says what went wrong.
        logging.getLogger("saml2").setLevel(logging.CRITICAL)
    cmds = {
        "metadata": cmd_metadata,
        "authn": cmd_authn,
        "verify": cmd_verify,
        "logout": cmd_logout,
        "verify-logout": cmd_verify_logout,
    }
    # Everything pysaml2 writes (cert/key copies, xmlsec1 inputs) goes to a private
    # temporary directory that is removed on exit.
    with tempfile.TemporaryDirectory(prefix="pysaml2_sp.") as tmp:
        old = tempfile.tempdir
        tempfile.tempdir = tmp
        try:
            return cmds[args.cmd](args)
        except Exception as exc:  # noqa: BLE001
            if args.debug:
                traceback.print_exc(file=sys.stderr)
            return emit({"ok": False, "error": err_text(exc)}, 1)
        finally:
            tempfile.tempdir = old


if __name__ == "__main__":
    sys.exit(main())
