//! Where libxmlsec's and libxml2's own error reports go: into our log, never raw to stderr.
//!
//! Owns the two C error hooks the XML-signature check (samael over libxmlsec and libxml2)
//! would otherwise leave at their defaults, which print every error of a failed check straight
//! to standard error with text from the message in it (an attacker's `Algorithm="x&#10;…"`
//! became a line of its own there, looking like one of ours). [`install`] turns libxmlsec's
//! default output off (a flag of its own, which nothing resets) and replaces both hooks with
//! handlers that hand the report to `tracing` at debug level, where the log formatter escapes
//! it like every other value from a request. libxmlsec's crypto initialization, on the first
//! signature check, sets its own callback again, so `signature` installs ours once more after
//! each check (two pointer stores). The refusal itself is logged by the caller.

use std::ffi::{c_char, c_int, c_void, CStr};

type XmlSecErrorsCallback = unsafe extern "C" fn(
    file: *const c_char,
    line: c_int,
    func: *const c_char,
    error_object: *const c_char,
    error_subject: *const c_char,
    reason: c_int,
    msg: *const c_char,
);
type XmlStructuredErrorFunc = unsafe extern "C" fn(user: *mut c_void, error: *const c_void);

extern "C" {
    fn xmlSecErrorsSetCallback(callback: Option<XmlSecErrorsCallback>);
    fn xmlSecErrorsDefaultCallbackEnableOutput(enabled: c_int);
    fn xmlSetStructuredErrorFunc(ctx: *mut c_void, handler: Option<XmlStructuredErrorFunc>);
    fn xmlThrDefSetStructuredErrorFunc(ctx: *mut c_void, handler: Option<XmlStructuredErrorFunc>);
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libxmlsec passes NUL-terminated strings (or NULL, handled above) that live for
    // the duration of the call.
    unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .chars()
        .take(300)
        .collect()
}

unsafe extern "C" fn xmlsec_error(
    _file: *const c_char,
    _line: c_int,
    func: *const c_char,
    error_object: *const c_char,
    error_subject: *const c_char,
    reason: c_int,
    msg: *const c_char,
) {
    tracing::debug!(
        target: "xmlsec",
        func = %text(func),
        object = %text(error_object),
        subject = %text(error_subject),
        reason,
        "{}",
        text(msg)
    );
}

/// libxml2's structured error: only that one occurred is logged (its fields are a C struct
/// whose layout this module does not depend on).
unsafe extern "C" fn xml2_error(_user: *mut c_void, _error: *const c_void) {
    tracing::debug!(target: "xmlsec", "libxml2 reported an error while reading a signed message");
}

/// Installs the handlers: at start-up, and after each signature check. libxml2 keeps its
/// handler per thread; the "thread default" makes every thread that starts using it later
/// take ours, and this thread is set directly.
pub fn install() {
    // SAFETY: these setters only store the function pointers, which are 'static.
    unsafe {
        xmlSecErrorsDefaultCallbackEnableOutput(0);
        xmlSecErrorsSetCallback(Some(xmlsec_error));
        xmlThrDefSetStructuredErrorFunc(std::ptr::null_mut(), Some(xml2_error));
        xmlSetStructuredErrorFunc(std::ptr::null_mut(), Some(xml2_error));
    }
}
