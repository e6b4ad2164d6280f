#!/usr/bin/env bash
# The SSO-session benchmark of issue #9, in one run: the machine's RSA ceiling, then a release
# server (users-file backend, one SP, a fresh signing pair, all in a temporary folder) timed to
# ready, signed in once, and loaded with wrk: AuthnRequests (deflated HTTP-Redirect, fresh IDs)
# with the session cookie, each answered at once with a signed Response. It prints requests/s,
# p50/p99 latency, how many answers were not a signed Response (wrk's count of statuses that
# are not 2xx/3xx, and the IdP's own count of SSO-session answers from /metrics against the
# requests answered), the share of a sample of Responses that xmlsec1 verifies, throughput over
# the ceiling, the server's peak RSS and start-up time. The same load goes to the floor, in
# rounds that alternate with the IdP's (examples/bench_floor.rs: the same HTTP stack answering pages of the same size with one RSA
# signature each and nothing else), so one run shows what the machine and the stack take and
# what the IdP takes. The ceiling is measured before the loads and after them, and the higher
# is used. It is a benchmark: it prints figures and never fails on speed (only when something
# does not work at all). Through nginx: the same load, in the same rounds, goes through nginx
# configured from nginx-example.conf (only ports, upstreams, the public base, the checked TLS
# name and certificate paths replaced) to a second instance of the same configuration that
# speaks TLS, so the run shows what the documented proxy costs beside the direct figure.
# With Redis: the same load, in the same rounds, goes to a third instance of the same
# configuration with `[store] type = "redis"` on a redis-server of the run's own (loopback, no
# persistence, a random password), so the run shows what the shared store costs the
# SSO-session path beside the memory store (target: at least 0.9 of it).
#
# Environment: BENCH_SECONDS (15: each server's load, given in BENCH_ROUNDS (3) rounds that
# alternate the IdP and the floor), BENCH_CONNECTIONS (16), BENCH_THREADS (wrk's, 1),
# BENCH_URLS (5000), BENCH_SAMPLE (50), BENCH_FLOOR (1; 0 skips the floor), BENCH_BIN (a binary
# built before, to compare two builds), BENCH_SIGN (assertion | response | both; assertion is
# the default of an SP entry and what Genesys Cloud gets), BENCH_NGINX (1; 0 skips the row
# through nginx, which needs nginx), BENCH_REDIS (1; 0 skips the row with the Redis store,
# which needs redis-server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_LOAD=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}
ROUNDS=${BENCH_ROUNDS:-3}
URLS=${BENCH_URLS:-5000}
SAMPLE=${BENCH_SAMPLE:-50}
SIGN=${BENCH_SIGN:-assertion}
SP=urn:bench:sp
PY=${PYTHON:-python3}
HELPER="$ROOT/scripts/bench_saml.py"

for tool in wrk xmlsec1 openssl curl "$PY"; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool" >&2; exit 1; }
done

NGINX=${BENCH_NGINX:-1}
if [ "$NGINX" != 0 ] && ! command -v nginx >/dev/null; then
    echo "bench.sh: no nginx, so no row through nginx (BENCH_NGINX=0 to skip it quietly)" >&2
    NGINX=0
fi

REDIS=${BENCH_REDIS:-1}
if [ "$REDIS" != 0 ] && ! command -v redis-server >/dev/null; then
    echo "bench.sh: no redis-server, so no row with the Redis store (BENCH_REDIS=0 to skip it quietly)" >&2
    REDIS=0
fi

TMP=$(mktemp -d)
REDIS_PID=
RIDP_PID=
SERVER_PID=
FLOOR_PID=
TLS_PID=
NGINX_PID=
cleanup() {
    if [ -n "$RIDP_PID" ]; then
        kill "$RIDP_PID" 2>/dev/null || true
    fi
    if [ -n "$REDIS_PID" ]; then
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    if [ -n "$FLOOR_PID" ]; then
        kill "$FLOOR_PID" 2>/dev/null || true
    fi
    if [ -n "$NGINX_PID" ]; then
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [ -n "$TLS_PID" ]; then
        kill "$TLS_PID" 2>/dev/null || true
    fi
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FLOOR=
if [ "${BENCH_FLOOR:-1}" != 0 ]; then
    (cd "$ROOT" && cargo build --release --quiet --example bench_floor)
    FLOOR="$ROOT/target/release/examples/bench_floor"
fi
# shellcheck source=bench_setup.sh
. "$ROOT/scripts/bench_setup.sh"
bench_binary

CORES=$(nproc)
# The RSA ceiling, sign/s. It is measured before the loads and again after them, and the
# higher of the two is the one the ratios use: the host's other guests can slow a 3-second
# measurement down, and a slow ceiling would flatter the ratio.
# Each measurement is the higher of two readings, for the same reason.
ceiling() {
    echo "== RSA-2048 ceiling: openssl speed -seconds 3 -multi $CORES rsa2048, twice" >&2
    # The summary line: "rsa 2048 bits <s/sign> <s/verify> <sign/s> <verify/s>".
    local c best=0
    for _ in 1 2; do
        c=$(openssl speed -seconds 3 -multi "$CORES" rsa2048 2>/dev/null |
            awk '/^rsa +2048 bits/ { print $6 }' | tail -1)
        [ -n "$c" ] || { echo "could not read openssl speed's sign/s" >&2; exit 1; }
        best=$(awk -v a="$best" -v b="$c" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "$best"
}
CEILING_BEFORE=$(ceiling)

echo "== setting up in $TMP"
bench_setup

echo "== starting the server"
read -r SERVER_PID STARTUP_MS < <("$PY" "$HELPER" start --bin "$BIN" --config "$TMP/idp.toml" \
    --addr "$ADDR" --log "$TMP/server.log")
COOKIE=$("$PY" "$HELPER" login --base "$BASE" --sp "$SP" --user bench --password bench)
"$PY" "$HELPER" urls --sp "$SP" --count "$URLS" --out "$TMP/paths.txt"

# CPU seconds a process has used (user + system), from /proc/<pid>/stat.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
# SSO-session answers the IdP has made so far, from its /metrics (every one is signed; one
# that failed to sign is a 500, which wrk counts).
session_answers() {
    curl -sf "$BASE/metrics" | awk '/^idp_logins_total\{result="ok_session"/ { s += $2 } END { print s + 0 }'
}
# load <pid> <base> <seconds> [paths]: wrk through the login URLs (of $TMP/paths.txt unless
# given) with the session cookie. Prints
# "requests duration_us p50_us p99_us bad errors server_cpu_s wrk_cpu_s"; wrk's own lines go
# to stderr. wrk shares the cores with the server; its CPU (user + system) is read with bash's
# time.
load() {
    local c0 c1 line
    c0=$(cpu_seconds "$1")
    TIMEFORMAT='%U %S'
    { time BENCH_PATHS="${4:-$TMP/paths.txt}" BENCH_COOKIE="$COOKIE" \
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${3}s" --timeout 10s \
        -s "$ROOT/scripts/bench_wrk.lua" "$2" >"$TMP/wrk.out"; } 2>"$TMP/wrk.time"
    c1=$(cpu_seconds "$1")
    grep -v '^BENCH' "$TMP/wrk.out" | sed 's/^/   /' >&2
    line=$(grep '^BENCH' "$TMP/wrk.out")
    for k in requests duration_us p50_us p99_us bad errors; do
        echo "$line" | tr ' ' '\n' | awk -F= -v k="$k" '$1 == k { printf "%s ", $2 }'
    done
    awk -v c0="$c0" -v c1="$c1" '{ print c1 - c0, $1 + $2 }' "$TMP/wrk.time"
}
# combine: the rounds' load lines (standard input) as one: sums, the mean of the medians and
# the highest p99.
combine() {
    awk '{ req += $1; dur += $2; p50 += $3; if ($4 > p99) p99 = $4; bad += $5; err += $6;
           cpu += $7; wrk += $8 }
         END { printf "%d %d %d %d %d %d %f %f\n", req, dur, p50 / NR, p99, bad, err, cpu, wrk }'
}

PAGE_BYTES=$(curl -s -H "Cookie: $COOKIE" "$BASE$(head -1 "$TMP/paths.txt")" | wc -c)
if [ -n "$FLOOR" ]; then
    FLOOR_ADDR=127.0.0.1:$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$FLOOR" "$FLOOR_ADDR" "$PAGE_BYTES" >"$TMP/floor.out" &
    FLOOR_PID=$!
    for _ in $(seq 200); do grep -q ready "$TMP/floor.out" && break; sleep 0.05; done
fi

# Through nginx: a second instance of the same configuration (same secret and signing pair,
# so the session cookie is good there too) speaking TLS, with nginx-example.conf in front.
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
if [ "$NGINX" != 0 ]; then
    NGINX_PORT=$(free_port)
    TLS_ADDR=127.0.0.1:$(free_port)
    PUBLIC=https://127.0.0.1:$NGINX_PORT/PureConnect
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
    sed -e "s|^listen = .*|listen = \"$TLS_ADDR\"\ntls_cert = \"tls.crt\"\ntls_key = \"tls.key\"\npublic_base_url = \"$PUBLIC\"|" \
        "$TMP/idp.toml" >"$TMP/idp-tls.toml"
    read -r TLS_PID _ < <("$PY" "$HELPER" start --bin "$BIN" --config "$TMP/idp-tls.toml" \
        --addr "$TLS_ADDR" --tls --log "$TMP/server-tls.log")
    mkdir -p "$TMP/nginx/logs"
    # The example with what the test of it (tests/it/proxy.rs) replaces, and nothing else.
    sed -e "s|listen 443 ssl;|listen 127.0.0.1:$NGINX_PORT ssl;|" \
        -e "s|server 10.1.2.3:8043 |server $TLS_ADDR |" \
        -e "s|server 10.1.2.4:8043 |server $TLS_ADDR |" \
        -e "s|ININ-REMAP-BASE-URL https://sso.example.com/PureConnect;|ININ-REMAP-BASE-URL $PUBLIC;|" \
        -e "s|IdpServersCA.pem|$TMP/tls.crt|" \
        -e "s|proxy_ssl_name pureconnect-idp.internal;|proxy_ssl_name localhost;|" \
        -e "s|CustomerProxyCertificate.cer|$TMP/tls.crt|" \
        -e "s|CustomerProxyPrivateKey.bin|$TMP/tls.key|" \
        "$ROOT/nginx-example.conf" >"$TMP/nginx/nginx.conf"
    nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
        -g "daemon off; master_process on; pid $TMP/nginx/nginx.pid; error_log $TMP/nginx/logs/error.log warn;" &
    NGINX_PID=$!
    for _ in $(seq 200); do
        curl -skf -o /dev/null "$PUBLIC/ICNotifierIDP/metadata" && break
        sleep 0.05
    done
    sed 's|^|/PureConnect|' "$TMP/paths.txt" >"$TMP/paths-nginx.txt"
    curl -sk -H "Cookie: $COOKIE" "$PUBLIC$(head -1 "$TMP/paths.txt")" | grep -q 'name="SAMLResponse"' ||
        { echo "bench.sh: the SSO-session answer through nginx is not a signed Response" >&2; exit 1; }
fi

# With Redis: a third instance of the same configuration (same secret, so the cookie is good
# there too) whose store is a redis-server of this run.
if [ "$REDIS" != 0 ]; then
    REDIS_PORT=$(free_port)
    REDIS_PASS=$(openssl rand -hex 16)
    printf '%s\n' "$REDIS_PASS" >"$TMP/redis.password"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --requirepass "$REDIS_PASS" >"$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    RIDP_ADDR=127.0.0.1:$(free_port)
    sed -e "s|^listen = .*|listen = \"$RIDP_ADDR\"|" "$TMP/idp.toml" >"$TMP/idp-redis.toml"
    printf '[store]\ntype = "redis"\nurl = "redis://127.0.0.1:%s/0"\npassword_file = "redis.password"\n' \
        "$REDIS_PORT" >>"$TMP/idp-redis.toml"
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
        sleep 0.05
    done
    read -r RIDP_PID _ < <("$PY" "$HELPER" start --bin "$BIN" --config "$TMP/idp-redis.toml" \
        --addr "$RIDP_ADDR" --log "$TMP/server-redis.log")
    if curl -sf "http://$RIDP_ADDR/readyz" | grep -q 'shared store'; then
        echo "bench.sh: the instance with the Redis store runs degraded" >&2
        exit 1
    fi
    curl -s -H "Cookie: $COOKIE" "http://$RIDP_ADDR$(head -1 "$TMP/paths.txt")" | grep -q 'name="SAMLResponse"' ||
        { echo "bench.sh: the SSO-session answer with the Redis store is not a signed Response" >&2; exit 1; }
fi

# The load is given in rounds, the IdP then the floor (then nginx) in each, so that a host that speeds up
# or slows down during the run weighs on both alike (with the IdP's whole load first, then the
# floor's, a host that sped up meanwhile favoured the floor).
SEGMENT=$(( SECONDS_LOAD / ROUNDS > 0 ? SECONDS_LOAD / ROUNDS : 1 ))
echo "== wrk: $THREADS thread(s), $CONNECTIONS connections, $ROUNDS rounds of ${SEGMENT}s on the IdP${FLOOR:+ then on the floor (examples/bench_floor, pages of $PAGE_BYTES bytes)}${NGINX_PID:+ then through nginx}${RIDP_PID:+ then with the Redis store}, $URLS AuthnRequests in turn"
ANSWERS0=$(session_answers)
: >"$TMP/idp.loads"
: >"$TMP/floor.loads"
: >"$TMP/nginx.loads"
: >"$TMP/redis.loads"
for round in $(seq "$ROUNDS"); do
    echo "-- round $round: the IdP" >&2
    load "$SERVER_PID" "$BASE" "$SEGMENT" >>"$TMP/idp.loads"
    if [ -n "$FLOOR" ]; then
        echo "-- round $round: the floor" >&2
        load "$FLOOR_PID" "http://$FLOOR_ADDR" "$SEGMENT" >>"$TMP/floor.loads"
    fi
    if [ -n "$NGINX_PID" ]; then
        echo "-- round $round: through nginx (TLS to the instance)" >&2
        load "$TLS_PID" "https://127.0.0.1:$NGINX_PORT" "$SEGMENT" "$TMP/paths-nginx.txt" >>"$TMP/nginx.loads"
    fi
    if [ -n "$RIDP_PID" ]; then
        echo "-- round $round: with the Redis store" >&2
        load "$RIDP_PID" "http://$RIDP_ADDR" "$SEGMENT" >>"$TMP/redis.loads"
    fi
done
read -r REQUESTS DURATION_US P50_US P99_US BAD ERRORS SERVER_CPU WRK_CPU < <(combine <"$TMP/idp.loads")
ANSWERS=$(( $(session_answers) - ANSWERS0 ))
# Every request wrk saw answered must be an SSO-session answer: fewer counted by the IdP means
# some 2xx/3xx answers were something else (the login form, a redirect). A few more are the
# requests still in flight when wrk stopped counting.
if [ "$ANSWERS" -lt "$((REQUESTS - BAD))" ]; then
    BAD=$((REQUESTS - ANSWERS))
fi
RSS_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")

F_REQ=0 F_DUR=1 F_P50=0 F_P99=0 F_BAD=0 F_ERR=0 F_CPU=0 F_WRK=0
if [ -n "$FLOOR" ]; then
    read -r F_REQ F_DUR F_P50 F_P99 F_BAD F_ERR F_CPU F_WRK < <(combine <"$TMP/floor.loads")
    kill "$FLOOR_PID"; wait "$FLOOR_PID" 2>/dev/null || true
    FLOOR_PID=
fi

N_REQ=0 N_DUR=1 N_P50=0 N_P99=0 N_BAD=0 N_ERR=0 N_CPU=0 N_WRK=0
if [ -n "$NGINX_PID" ]; then
    read -r N_REQ N_DUR N_P50 N_P99 N_BAD N_ERR N_CPU N_WRK < <(combine <"$TMP/nginx.loads")
    kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
    kill "$TLS_PID" 2>/dev/null || true
    TLS_PID=
fi

R_REQ=0 R_DUR=1 R_P50=0 R_P99=0 R_BAD=0 R_ERR=0 R_CPU=0 R_WRK=0
if [ -n "$RIDP_PID" ]; then
    read -r R_REQ R_DUR R_P50 R_P99 R_BAD R_ERR R_CPU R_WRK < <(combine <"$TMP/redis.loads")
    if curl -sf "http://$RIDP_ADDR/readyz" | grep -q 'shared store'; then
        echo "bench.sh: the instance with the Redis store ran degraded during the load" >&2
    fi
    kill "$RIDP_PID" 2>/dev/null || true
    RIDP_PID=
fi

CEILING_AFTER=$(ceiling)
CEILING=$(awk -v a="$CEILING_BEFORE" -v b="$CEILING_AFTER" 'BEGIN { print (a > b) ? a : b }')

echo "== checking $SAMPLE fresh Responses with xmlsec1"
read -r VALID CHECKED < <("$PY" "$HELPER" check --base "$BASE" --sp "$SP" --cookie "$COOKIE" \
    --cert "$CERT" --sign "$SIGN" --count "$SAMPLE" --tmp "$TMP")

awk -v ceiling="$CEILING" -v before="$CEILING_BEFORE" -v after="$CEILING_AFTER" -v req="$REQUESTS" -v dur="$DURATION_US" -v p50="$P50_US" \
    -v p99="$P99_US" -v bad="$BAD" -v errors="$ERRORS" -v rss="$RSS_KB" -v start="$STARTUP_MS" \
    -v valid="$VALID" -v checked="$CHECKED" -v cores="$CORES" -v conns="$CONNECTIONS" \
    -v sign="$SIGN" -v cpu="$SERVER_CPU" -v wrkcpu="$WRK_CPU" -v threads="$THREADS" \
    -v freq="$F_REQ" -v fdur="$F_DUR" -v fp50="$F_P50" -v fp99="$F_P99" -v fbad="$F_BAD" \
    -v ferr="$F_ERR" -v fcpu="$F_CPU" -v fwrk="$F_WRK" -v bytes="$PAGE_BYTES" \
    -v answers="$ANSWERS" -v nreq="$N_REQ" -v ndur="$N_DUR" -v np50="$N_P50" -v np99="$N_P99" \
    -v nbad="$N_BAD" -v nerr="$N_ERR" -v ncpu="$N_CPU" \
    -v rreq="$R_REQ" -v rdur="$R_DUR" -v rp99="$R_P99" -v rbad="$R_BAD" -v rerr="$R_ERR" 'BEGIN {
    rps = req / (dur / 1e6)
    frps = freq / (fdur / 1e6)
    f = (freq > 0)
    printf "\n| figure (nproc = %d, sign = %s, %d connections, %d-byte pages) | IdP | floor | target |\n", cores, sign, conns, bytes
    printf "|---|---|---|---|\n"
    printf "| RSA-2048 ceiling (openssl speed -multi %d; before the loads %.0f, after %.0f) | %.0f sign/s | | |\n", cores, before, after, ceiling
    printf "| SSO-session throughput | %.0f req/s | %s | |\n", rps, f ? sprintf("%.0f req/s", frps) : "-"
    printf "| throughput / ceiling | %.2f | %s | >= 0.80 |\n", rps / ceiling, f ? sprintf("%.2f", frps / ceiling) : "-"
    if (sign == "both")
        printf "| signatures / ceiling (2 per answer) | %.2f | | |\n", 2 * rps / ceiling
    if (f)
        printf "| IdP throughput / floor | %.2f | | |\n", rps / frps
    if (nreq > 0) {
        nrps = nreq / (ndur / 1e6)
        printf "| SSO-session throughput through nginx-example.conf (TLS to the instance) | %.0f req/s | | |\n", nrps
        printf "| through nginx / direct | %.2f | | |\n", nrps / rps
        printf "| through nginx: latency p50 / p99 | %.2f / %.2f ms | | |\n", np50 / 1000, np99 / 1000
        printf "| through nginx: IdP CPU per answer (TLS included) | %.0f us | | |\n", ncpu * 1e6 / nreq
        printf "| through nginx: answers not 2xx/3xx | %d of %d (+%d socket errors) | | 0 |\n", nbad, nreq, nerr
    }
    if (rreq > 0) {
        rrps = rreq / (rdur / 1e6)
        printf "| SSO-session throughput with store type = redis (loopback) | %.0f req/s | | |\n", rrps
        printf "| redis store / memory store | %.2f | | >= 0.90 |\n", rrps / rps
        printf "| with the redis store: latency p99; answers not 2xx/3xx | %.2f ms; %d of %d (+%d socket errors) | | 0 |\n", rp99 / 1000, rbad, rreq, rerr
    }
    printf "| latency p50 (mean of the rounds) | %.2f ms | %s | |\n", p50 / 1000, f ? sprintf("%.2f ms", fp50 / 1000) : "-"
    printf "| latency p99 (highest of the rounds) | %.2f ms | %s | < 10 ms |\n", p99 / 1000, f ? sprintf("%.2f ms", fp99 / 1000) : "-"
    printf "| server CPU per answer (user + system) | %.0f us | %s | |\n", cpu * 1e6 / req, f ? sprintf("%.0f us", fcpu * 1e6 / freq) : "-"
    printf "| one RSA-2048 signature per core at the ceiling rate | %.0f us | | |\n", cores * 1e6 / ceiling
    printf "| wrk CPU per request (%d thread, same cores) | %.0f us | %s | |\n", threads, wrkcpu * 1e6 / req, f ? sprintf("%.0f us", fwrk * 1e6 / freq) : "-"
    printf "| answers that were not a signed Response (IdP: not 2xx/3xx, or not counted by /metrics) | %d of %d (+%d socket errors) | %s | 0 |\n", bad, req, errors, f ? sprintf("%d of %d (+%d), not 2xx/3xx", fbad, freq, ferr) : "-"
    printf "| SSO-session answers counted by the IdP (/metrics) | %d | | |\n", answers
    printf "| sample verified by xmlsec1 | %d/%d (%.0f%%) | | 100%% |\n", valid, checked, 100 * valid / checked
    printf "| server peak RSS (VmHWM) | %.1f MB | | < 64 MB |\n", rss / 1024
    printf "| start-up to ready | %.0f ms | | < 300 ms |\n", start
    # A whole answer of the floor (a signature, HTTP, TCP) cannot take less CPU than a signature
    # alone: when it does, openssl speed ran while the host was slower than during the loads.
    low = f && fcpu * 1e6 / freq < cores * 1e6 / ceiling
    if (low)
        printf "\nWARNING: the ceiling was read low (%.0f us a signature per core, more than the %.0f us of a whole answer of the floor): the ratios to it are flattered; run again.\n", cores * 1e6 / ceiling, fcpu * 1e6 / freq
    # The IdP does the work of the floor (the same stack, a page of the same size, one
    # signature) and its own on top, so it cannot go beyond the floor: a floor under the target
    # is a limit of the machine (the load generator and HTTP/TCP on the same cores), not of the
    # IdP, whose own work shows in IdP / floor.
    if (f && !low && frps / ceiling < 0.8)
        printf "\nNOTE: the floor, which does no SAML at all, reached %.2f of the ceiling: on this machine HTTP, loopback TCP and the load generator take more than a fifth of the cores, so no server on this stack reaches 0.80 here. IdP / floor (%.2f) is what the work of the IdP itself moves.\n", frps / ceiling, rps / frps
}'
