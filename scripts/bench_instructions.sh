#!/usr/bin/env bash
# The IdP's own work per SSO-session answer, counted in instructions: a figure the host's noise
# does not move, for comparing two builds of the request path. The release server runs under
# valgrind's callgrind twice, set up as scripts/bench.sh sets it up (users-file backend, one SP,
# a fresh signing pair); each run signs in once and is then sent SSO-session logins (deflated
# HTTP-Redirect AuthnRequests with fresh IDs and the session cookie) one after the other, 100 in
# the first run and 300 in the second. The difference between the two runs, over 200, is what
# one answer costs with start-up and the sign-in taken out. It prints that, the part spent in
# the RSA signature (OpenSSL's EVP_PKEY_sign, inclusive) and the rest: the IdP's own work,
# HTTP included. valgrind hides AVX-512, SHA-NI and AES-NI from OpenSSL, so its RSA, SHA-256
# and AES counts are larger than on the machine: compare builds with it, not machines. A
# benchmark: it prints figures and never fails on them (answers that were not a signed page
# are counted in its table, and make its figures meaningless).
#
# Environment: BENCH_BIN (a binary built before, to compare two builds), BENCH_SIGN
# (assertion | response | both; default assertion). Needs valgrind (callgrind_annotate comes
# with it), openssl and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIGN=${BENCH_SIGN:-assertion}
SP=urn:bench:sp
PY=${PYTHON:-python3}
HELPER="$ROOT/scripts/bench_saml.py"
for tool in valgrind callgrind_annotate openssl "$PY"; do
    command -v "$tool" >/dev/null || { echo "bench_instructions.sh needs $tool" >&2; exit 1; }
done

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench_setup.sh
. "$ROOT/scripts/bench_setup.sh"
bench_binary
bench_setup

# run <answers>: one server under callgrind, sent <answers> logins; writes "total rsa bad" to
# $TMP/result.<answers>.
run() {
    local out="$TMP/callgrind.$1"
    read -r SERVER_PID _ < <("$PY" "$HELPER" start --bin "$BIN" --config "$TMP/idp.toml" \
        --addr "$ADDR" --log "$TMP/server.log" --wrap "valgrind --tool=callgrind --callgrind-out-file=$out")
    local cookie bad
    cookie=$("$PY" "$HELPER" login --base "$BASE" --sp "$SP" --user bench --password bench)
    "$PY" "$HELPER" urls --sp "$SP" --count "$1" --out "$TMP/paths.txt"
    bad=$("$PY" "$HELPER" send --base "$BASE" --cookie "$cookie" --paths "$TMP/paths.txt")
    kill "$SERVER_PID"
    while kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.2; done
    SERVER_PID=
    # The whole program, then EVP_PKEY_sign with all it calls.
    callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | awk -v bad="$bad" '
        /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
        /\?\?\?:EVP_PKEY_sign \[/ && !rsa { gsub(",", "", $1); rsa = $1 }
        END { print total + 0, rsa + 0, bad }' >"$TMP/result.$1"
}

echo "== callgrind: 100 answers, then 300 (each run starts the server anew)"
run 100
run 300
read -r T1 R1 B1 <"$TMP/result.100"
read -r T3 R3 B3 <"$TMP/result.300"
if [ "$R1" = 0 ] || [ "$R3" = 0 ]; then
    echo "could not find EVP_PKEY_sign in callgrind's output" >&2
    exit 1
fi
awk -v t1="$T1" -v r1="$R1" -v t3="$T3" -v r3="$R3" -v bad=$((B1 + B3)) -v sign="$SIGN" 'BEGIN {
    all = (t3 - t1) / 200
    rsa = (r3 - r1) / 200
    printf "\n| instructions per SSO-session answer (sign = %s) | |\n|---|---|\n", sign
    printf "| all | %.0f |\n", all
    printf "| RSA signature (EVP_PKEY_sign, without AVX-512 under valgrind) | %.0f |\n", rsa
    printf "| the rest: the IdP and HTTP | %.0f |\n", all - rsa
    printf "| answers that were not a page with a SAMLResponse | %d of 400 |\n", bad
}'
