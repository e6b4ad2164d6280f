#!/usr/bin/env bash
# The SSO-session benchmark of issue #9, in one run: the machine's RSA ceiling, then a release
# server (users-file backend, one SP, a fresh signing pair, all in a temporary folder) timed to
# ready, signed in once, and loaded with wrk: AuthnRequests (deflated HTTP-Redirect, fresh IDs)
# with the session cookie, each answered at once with a signed Response. It prints requests/s,
# p50/p99 latency, the share of a sample of Responses that xmlsec1 verifies, throughput over
# the ceiling, the server's peak RSS and start-up time. It is a benchmark: it prints figures
# and never fails on speed (only when something does not work at all).
#
# Environment: BENCH_SECONDS (15), BENCH_CONNECTIONS (16), BENCH_THREADS (wrk, 1), BENCH_URLS (5000),
# BENCH_SAMPLE (50), BENCH_BIN (a binary built before, to compare two builds), BENCH_SIGN (assertion | response | both; assertion is the default of an
# SP entry and what Genesys Cloud gets).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_LOAD=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}
URLS=${BENCH_URLS:-5000}
SAMPLE=${BENCH_SAMPLE:-50}
SIGN=${BENCH_SIGN:-assertion}
SP=urn:bench:sp
PY=${PYTHON:-python3}
HELPER="$ROOT/scripts/bench_saml.py"

for tool in wrk xmlsec1 openssl "$PY"; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool" >&2; exit 1; }
done

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_BIN:-}" ]; then
    BIN=$BENCH_BIN
else
    echo "== building the release binary"
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="$ROOT/target/release/pureconnect-idp"
fi

CORES=$(nproc)
echo "== RSA-2048 ceiling: openssl speed -seconds 3 -multi $CORES rsa2048"
# The summary line: "rsa 2048 bits <s/sign> <s/verify> <sign/s> <verify/s>".
CEILING=$(openssl speed -seconds 3 -multi "$CORES" rsa2048 2>/dev/null |
    awk '/^rsa +2048 bits/ { print $6 }' | tail -1)
[ -n "$CEILING" ] || { echo "could not read openssl speed's sign/s" >&2; exit 1; }

echo "== setting up in $TMP"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
BASE=http://$ADDR
HASH=$(echo bench | "$BIN" users hash)
cat >"$TMP/users.toml" <<EOF
[[users]]
id = "bench"
password_hash = "$HASH"
email = "bench@example.com"
display_name = "Bench User"
EOF
cat >"$TMP/idp.toml" <<EOF
[server]
listen = "$ADDR"
[idp]
entity_id = "https://idp.bench.test"
organization_name = "benchorg"
certs_dir = "certs"
[session]
secret = "$(openssl rand -base64 32)"
[backend]
type = "file"
users_file = "users.toml"
[[service_providers]]
entity_id = "$SP"
acs_urls = ["https://sp.bench.test/acs"]
sign = "$SIGN"
service_name = "directory"
EOF
"$BIN" certs generate bench --config "$TMP/idp.toml" >/dev/null
CERT="$TMP/certs/signing/bench.crt"

echo "== starting the server"
read -r SERVER_PID STARTUP_MS < <("$PY" "$HELPER" start --bin "$BIN" --config "$TMP/idp.toml" \
    --addr "$ADDR" --log "$TMP/server.log")
COOKIE=$("$PY" "$HELPER" login --base "$BASE" --sp "$SP" --user bench --password bench)
"$PY" "$HELPER" urls --sp "$SP" --count "$URLS" --out "$TMP/paths.txt"

# CPU seconds the server has used (user + system), from /proc/<pid>/stat.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$SERVER_PID/stat"
}
CPU_BEFORE=$(cpu_seconds)
echo "== wrk: $THREADS thread(s), $CONNECTIONS connections, ${SECONDS_LOAD}s, $URLS AuthnRequests in turn"
# wrk shares the cores with the server; its own CPU (user + system) is read with bash's time.
TIMEFORMAT='%U %S'
{ time BENCH_PATHS="$TMP/paths.txt" BENCH_COOKIE="$COOKIE" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_LOAD}s" --timeout 10s \
    -s "$ROOT/scripts/bench_wrk.lua" "$BASE" >"$TMP/wrk.out"; } 2>"$TMP/wrk.time"
WRK_OUT=$(cat "$TMP/wrk.out")
WRK_CPU=$(awk '{ print $1 + $2 }' "$TMP/wrk.time")
echo "$WRK_OUT" | grep -v '^BENCH' | sed 's/^/   /'
CPU_AFTER=$(cpu_seconds)
LINE=$(echo "$WRK_OUT" | grep '^BENCH')
field() { echo "$LINE" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
REQUESTS=$(field requests)
DURATION_US=$(field duration_us)
P50_US=$(field p50_us)
P99_US=$(field p99_us)
BAD=$(field bad)
ERRORS=$(field errors)
RSS_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")

echo "== checking $SAMPLE fresh Responses with xmlsec1"
read -r VALID CHECKED < <("$PY" "$HELPER" check --base "$BASE" --sp "$SP" --cookie "$COOKIE" \
    --cert "$CERT" --sign "$SIGN" --count "$SAMPLE" --tmp "$TMP")

awk -v ceiling="$CEILING" -v req="$REQUESTS" -v dur="$DURATION_US" -v p50="$P50_US" \
    -v p99="$P99_US" -v bad="$BAD" -v errors="$ERRORS" -v rss="$RSS_KB" -v start="$STARTUP_MS" \
    -v valid="$VALID" -v checked="$CHECKED" -v cores="$CORES" -v conns="$CONNECTIONS" \
    -v sign="$SIGN" -v cpu0="$CPU_BEFORE" -v cpu1="$CPU_AFTER" -v wrkcpu="$WRK_CPU" \
    -v threads="$THREADS" 'BEGIN {
    rps = req / (dur / 1e6)
    printf "\n| figure (nproc = %d, sign = %s, %d connections) | value | target |\n", cores, sign, conns
    printf "|---|---|---|\n"
    printf "| RSA-2048 ceiling (openssl speed -multi %d) | %.0f sign/s | |\n", cores, ceiling
    printf "| SSO-session throughput | %.0f req/s | |\n", rps
    printf "| throughput / ceiling | %.2f | >= 0.80 |\n", rps / ceiling
    if (sign == "both")
        printf "| signatures / ceiling (2 per answer) | %.2f | |\n", 2 * rps / ceiling
    printf "| latency p50 | %.2f ms | |\n", p50 / 1000
    printf "| latency p99 | %.2f ms | < 10 ms |\n", p99 / 1000
    printf "| server CPU per answer (user + system) | %.0f us | |\n", (cpu1 - cpu0) * 1e6 / req
    printf "| wrk CPU per request (%d thread, same cores) | %.0f us | |\n", threads, wrkcpu * 1e6 / req
    printf "| answers not 200 with a SAMLResponse | %d of %d (+%d socket errors) | 0 |\n", bad, req, errors
    printf "| sample verified by xmlsec1 | %d/%d (%.0f%%) | 100%% |\n", valid, checked, 100 * valid / checked
    printf "| server peak RSS (VmHWM) | %.1f MB | < 64 MB |\n", rss / 1024
    printf "| start-up to ready | %.0f ms | < 300 ms |\n", start
}'
